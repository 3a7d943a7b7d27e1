/**
 * Neuralization (docs/methods.md#neuralization): the one-class SVM rewritten as two layers of the explanation
 * engine — distances to the support vectors, then soft min-pooling with temperature γ — whose
 * output is the outlierness o(x) = −(1/γ) log Σ_j α̂_j exp(−γ ‖x − u_j‖_p^p), α̂ = α/(νl).
 * It is exactly the SVM: f(x) = νl·exp(−γ o(x)) − ρ, and x is an outlier iff o(x) > θ.
 * Appended to a feature network (or alone, on pixels) it gives one network from input to o(x).
 */
import { tf } from '../runtime/runtime.ts';
import { ExplainableNetwork, type ExplainableLayer, type Tensor } from '../explain/network.ts';
import type { DistanceLayer } from './distance-layer.ts';
import { supportDistanceLayer } from './support-distance.ts';
import { HardMinPoolingLayer, SoftMinPoolingLayer } from './min-pooling.ts';
import { checkOcsvm, type DistancePower, type OcsvmLike } from './ocsvm-like.ts';
import { UserError } from '../errors.ts';

export type PoolingKind = 'soft' | 'hard';

export interface NeuralizeOptions {
  /** 'soft' (exact, default) or 'hard' (γ → ∞: the nearest support vector by h_j only) */
  pooling?: PoolingKind;
  /** prefix of the two layer names (default 'ocsvm': 'ocsvm/distance', 'ocsvm/min-pooling') */
  name?: string;
}

/** θ = −(1/γ) log(ρ/(νl)); +∞ when ρ ≤ 0 (then every x has f(x) > 0: no outliers). */
export function outliernessThreshold(gamma: number, rho: number, scale: number): number {
  return rho > 0 ? -Math.log(rho / scale) / gamma : Infinity;
}

export class NeuralizedOcsvm {
  readonly distance: DistanceLayer;
  readonly pooling: SoftMinPoolingLayer | HardMinPoolingLayer;
  readonly power: DistancePower;
  readonly gamma: number;
  readonly rho: number;
  /** ν·l */
  readonly scale: number;
  /** o(x) > threshold ⇔ f(x) < 0 */
  readonly threshold: number;

  constructor(model: OcsvmLike, options: NeuralizeOptions = {}) {
    const { power, scale } = checkOcsvm(model);
    const pooling = options.pooling ?? 'soft';
    if (pooling !== 'soft' && pooling !== 'hard') {
      throw new UserError(`neuralize: pooling '${String(pooling)}' is not allowed; allowed: soft, hard`);
    }
    const prefix = options.name ?? 'ocsvm';
    this.power = power;
    this.gamma = model.gamma;
    this.rho = model.rho;
    this.scale = scale;
    this.threshold = outliernessThreshold(model.gamma, model.rho, scale);
    this.distance = supportDistanceLayer(model, `${prefix}/distance`);
    this.pooling =
      pooling === 'soft'
        ? new SoftMinPoolingLayer(`${prefix}/min-pooling`, model.gamma)
        : new HardMinPoolingLayer(`${prefix}/min-pooling`);
  }

  get layers(): [DistanceLayer, SoftMinPoolingLayer | HardMinPoolingLayer] {
    return [this.distance, this.pooling];
  }

  /** o(x) for a batch of feature vectors [N, ...] → [N]. */
  outlierness(features: Tensor): Tensor {
    return tf.tidy(() => this.pooling.forward(this.distance.forward(features)));
  }

  /** f(x) = νl·exp(−γ o(x)) − ρ, in float64. */
  decisionFromOutlierness(o: ArrayLike<number>): Float64Array {
    return Float64Array.from(o, (v) => this.scale * Math.exp(-this.gamma * v) - this.rho);
  }

  /** 1 where o(x) > θ (an outlier), else 0. */
  outliers(o: ArrayLike<number>): Uint8Array {
    return Uint8Array.from(o, (v) => (v > this.threshold ? 1 : 0));
  }

  /**
   * One network from input to o(x): the feature network's layers (none for pixel features) followed
   * by the distance and pooling layers. Shares the layer objects; dispose the feature network and
   * this object, not the result.
   */
  network(features: ExplainableNetwork | null, inputShape?: readonly number[]): ExplainableNetwork {
    if (features) return features.extend(...this.layers);
    if (!inputShape) throw new Error('NeuralizedOcsvm.network: give the input shape when there is no feature network');
    const size = inputShape.reduce((a, b) => a * b, 1);
    if (size !== this.distance.dim) {
      throw new UserError(
        `neuralize: inputs of shape [${inputShape.join(', ')}] have ${size} values, but the support vectors have ${this.distance.dim}`,
      );
    }
    return new ExplainableNetwork(this.layers as ExplainableLayer[], inputShape);
  }

  /** Frees the layers' tensors. */
  dispose(): void {
    this.distance.dispose();
    this.pooling.dispose();
  }
}

/**
 * The one-class SVM as two explainable layers (distances to the support vectors, soft min-pooling),
 * with its threshold θ and its decision function in terms of o(x) (docs/methods.md#neuralization).
 * `network(featureNetwork | null, inputShape)` gives the network from input to o(x) that
 * `ocdtd` and the outlier methods explain. Dispose it when done.
 */
export function neuralize(model: OcsvmLike, options: NeuralizeOptions = {}): NeuralizedOcsvm {
  return new NeuralizedOcsvm(model, options);
}
