/**
 * The first layer of the neuralized one-class SVM: one neuron per support vector u_j,
 * h_j(x) = ‖x − u_j‖_p^p + b_j (p = 2 Gaussian, p = 1 Laplacian), and its OC-DTD relevance rule
 * R_i = Σ_j R_j |x_i − u_ij|^p / d_j (docs/methods.md#ocdtd-distance), both batched.
 *
 * Inputs and support vectors are both shifted by the support vectors' mean before anything is
 * computed: distances do not change, but ‖x‖² + ‖u‖² − 2x·u then cancels far less in float32.
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableLayer, RelevanceContext, Tensor } from '../explain/network.ts';
import type { DistancePower } from './ocsvm-like.ts';
import { UserError } from '../errors.ts';
import { centrePrototypes, centreRows } from './centred-prototypes.ts';
import { ActiveDimensions } from './active-dimensions.ts';

/**
 * For p = 2 a distance below this fraction of ‖x − c‖² + ‖u − c‖² counts as zero: float32 cannot
 * resolve it through the expansion, and its relevance is then shared equally over the inputs.
 */
export const ZERO_DISTANCE_TOLERANCE = 1e-4;

export interface DistanceLayerOptions {
  /**
   * Leave-self-out: a neuron whose prototype is the input itself (distance zero, e.g. a training
   * sample explained against its own support vector) outputs +∞, so that min-pooling ignores it;
   * unless every neuron of the row is at distance zero.
   */
  leaveSelfOut?: boolean;
}

/** Largest [rows, neurons, dims] block materialised for the Laplacian's |x − u| (values). */
const L1_BLOCK_VALUES = 1 << 23;

/** The products' constant operands from the centred prototypes on the active dimensions [m, k]. */
function operandsOn(u: tf.Tensor2D) {
  // −2 folded into the operands is exact, and saves a pass over the inputs per product
  const minusTwicePrototypes = tf.mul(u, -2) as tf.Tensor2D;
  return {
    forwardWeights: tf.transpose(minusTwicePrototypes) as tf.Tensor2D,
    minusTwicePrototypes,
    squaredPrototypes: tf.square(u) as tf.Tensor2D,
  };
}

export class DistanceLayer implements ExplainableLayer {
  readonly kind = 'distance';
  readonly nNeurons: number;
  readonly dim: number;
  /** mean of the prototypes [dim] */
  readonly centre: tf.Tensor1D;
  /** prototypes minus centre [m, dim] */
  readonly prototypes: tf.Tensor2D;
  /** [m] */
  readonly bias: tf.Tensor1D;
  /** ‖u_j − c‖² [1, m] (p = 2) */
  private readonly squaredNorms: tf.Tensor2D;
  /** ‖u_j − c‖² + b_j [m]: the part of h_j that does not depend on x, added inside the product (p = 2) */
  private readonly forwardBias: tf.Tensor1D;
  /** dimensions where some prototype is off-centre: the products run over these only (p = 2) */
  private readonly active: ActiveDimensions | null;
  /** −2(u − c)ᵀ on the active dimensions [k, m] (p = 2); the wasm fused product is wrong with transposeB */
  private readonly forwardWeights: tf.Tensor2D | null;
  /** −2(u − c) and (u − c)² on the active dimensions [m, k] (p = 2) */
  private readonly minusTwicePrototypes: tf.Tensor2D | null;
  private readonly squaredPrototypes: tf.Tensor2D | null;
  /** `prototypes`: m rows of `dim` values, row-major; `bias`: m values. */
  readonly leaveSelfOut: boolean;

  constructor(
    readonly name: string,
    prototypes: Float32Array,
    bias: ArrayLike<number>,
    readonly power: DistancePower,
    options: DistanceLayerOptions = {},
  ) {
    this.leaveSelfOut = options.leaveSelfOut ?? false;
    this.nNeurons = bias.length;
    if (this.nNeurons < 1 || prototypes.length % this.nNeurons !== 0) {
      throw new Error(`distance layer '${name}': ${prototypes.length} prototype values for ${this.nNeurons} neurons`);
    }
    this.dim = prototypes.length / this.nNeurons;
    const built = centrePrototypes(prototypes, this.nNeurons, this.dim);
    this.centre = built.centre;
    this.prototypes = built.centred;
    this.squaredNorms = built.squaredNorms;
    this.bias = tf.tensor1d(Float32Array.from(bias));
    this.forwardBias = tf.tidy(() => tf.add(tf.reshape(this.squaredNorms, [this.nNeurons]), this.bias));
    this.active = power === 2 ? new ActiveDimensions(this.prototypes) : null;
    const operands = this.active ? tf.tidy(() => operandsOn(this.active!.select(this.prototypes))) : null;
    this.forwardWeights = operands?.forwardWeights ?? null;
    this.minusTwicePrototypes = operands?.minusTwicePrototypes ?? null;
    this.squaredPrototypes = operands?.squaredPrototypes ?? null;
  }

  /** Samples [N, ...] as rows [N, dim], shifted by the centre. */
  private centredRows(a: Tensor): tf.Tensor2D {
    const n = a.shape[0];
    const size = a.size / n;
    if (size !== this.dim) {
      throw new UserError(
        `distance layer '${this.name}': its inputs have ${size} values each, but the one-class SVM's support vectors have ${this.dim}; ` +
          'was the SVM trained on these features (same feature layer, same data shape)?',
      );
    }
    return centreRows(a, this.centre, this.dim);
  }

  forward(a: Tensor): Tensor {
    return tf.tidy(() => {
      const xc = this.centredRows(a);
      if (this.power === 1) {
        const d = this.l1Blocks(xc, null).d;
        const h = tf.add(d, this.bias);
        return this.leaveSelfOut ? this.withoutSelf(h, tf.lessEqual(d, 0)) : h;
      }
      // h = (−2x)·uᵀ + (‖u‖² + b) + ‖x‖²: one fused product and one addition over [N, m]
      const h = tf.add(this.product(xc, this.forwardBias), tf.sum(tf.square(xc), 1, true));
      if (!this.leaveSelfOut) return h;
      return this.withoutSelf(h, tf.lessEqual(tf.sub(h, this.bias), this.zeroTolerance(xc)));
    });
  }

  /** h with +∞ where `self` holds, in the rows where some other neuron remains. */
  private withoutSelf(h: Tensor, self: Tensor): Tensor {
    const others = tf.greater(tf.sum(tf.sub(1, tf.cast(self, 'float32')), 1, true), 0);
    return tf.where(tf.logicalAnd(self, others), tf.fill(h.shape, Infinity), h);
  }

  /** Distances below this [N, m] count as zero (p = 2): float32 cannot resolve them through the expansion. */
  private zeroTolerance(xc: tf.Tensor2D): Tensor {
    // tolerance > 0 everywhere (the tiny term keeps it so when x and u both sit at the centre)
    const xTolerance = tf.add(tf.mul(tf.sum(tf.square(xc), 1, true), ZERO_DISTANCE_TOLERANCE), 1e-30);
    return tf.add(xTolerance, tf.mul(this.squaredNorms, ZERO_DISTANCE_TOLERANCE));
  }

  /**
   * R_i = Σ_j R_j |x_i − u_ij|^p / d_j; a neuron at distance zero shares its R_j equally.
   * `ctx.output` (h = d + b from the forward pass) saves recomputing the distances.
   */
  relevance(input: Tensor, R: Tensor, _rule?: unknown, ctx?: RelevanceContext): Tensor {
    return tf.tidy(() => {
      const xc = this.centredRows(input);
      const relevance =
        this.power === 2
          ? this.squaredRelevance(
              xc,
              R as tf.Tensor2D,
              ctx ? (tf.sub(ctx.output, this.bias) as tf.Tensor2D) : this.squaredDistances(xc),
            )
          : this.l1Blocks(xc, R as tf.Tensor2D).relevance!;
      return tf.reshape(relevance, input.shape);
    });
  }

  /** (−2x)·uᵀ + bias, [N, m], over the active dimensions. */
  private product(xc: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
    return tf.fused.matMul({ a: this.active!.select(xc), b: this.forwardWeights!, bias });
  }

  private squaredDistances(xc: tf.Tensor2D): tf.Tensor2D {
    return tf.relu(
      tf.add(this.product(xc, tf.reshape(this.squaredNorms, [this.nNeurons])), tf.sum(tf.square(xc), 1, true)),
    ) as tf.Tensor2D;
  }

  /**
   * Σ_j (R_j/d_j)(x_i − u_ij)² = x_i² Σ_j r_j − 2 x_i (r·U)_i + (r·U²)_i, plus the equal shares of
   * the neurons at distance zero. Written with few passes over [N, m]: this is the pixel path's cost.
   */
  private squaredRelevance(xc: tf.Tensor2D, R: tf.Tensor2D, d: tf.Tensor2D): tf.Tensor2D {
    const tolerance = this.zeroTolerance(xc);
    const excess = tf.sub(d, tolerance);
    const resolved = tf.step(excess); // 1 where d > tolerance, else 0
    const kept = tf.mul(R, resolved);
    // max(d, tolerance) as tolerance + relu(d − tolerance): the wasm maximum is ten times slower
    const r = tf.div(kept, tf.add(tolerance, tf.relu(excess)));
    const sumR = tf.sum(r, 1, true);
    const xa = this.active!.select(xc);
    // x_i (x_i Σr − 2 (r·U)_i) + (r·U²)_i on the active dimensions; x_i² Σr on the others (u_i = c_i)
    const onActive = tf.add(
      tf.mul(xa, tf.add(tf.mul(xa, sumR), tf.matMul(r, this.minusTwicePrototypes!))),
      tf.matMul(r, this.squaredPrototypes!),
    );
    const expanded = this.active!.merge(onActive as tf.Tensor2D, xc, (rest) => tf.mul(tf.square(rest), sumR));
    // every R_j of a row has the row's sign (p_j · R from the pooling; negative for an inlier's
    // excess o − θ): clamp the expansion's rounding to that sign
    const sign = tf.sub(tf.mul(tf.step(tf.sum(R, 1, true)), 2), 1);
    const signedRelu = (t: tf.Tensor) => tf.mul(tf.relu(tf.mul(t, sign)), sign);
    const shared = signedRelu(tf.div(tf.sub(tf.sum(R, 1, true), tf.sum(kept, 1, true)), this.dim));
    return tf.add(signedRelu(expanded), shared) as tf.Tensor2D;
  }

  /** Laplacian: distances and (with R) relevances from |x − u| in blocks of rows. */
  private l1Blocks(xc: tf.Tensor2D, R: tf.Tensor2D | null): { d: tf.Tensor2D; relevance?: tf.Tensor2D } {
    const n = xc.shape[0];
    const rows = Math.max(1, Math.floor(L1_BLOCK_VALUES / (this.nNeurons * this.dim)));
    const ds: Tensor[] = [];
    const rs: Tensor[] = [];
    for (let start = 0; start < n; start += rows) {
      const size = Math.min(rows, n - start);
      // one block at a time, so that only its [b, m, dim] differences are alive
      const block = tf.tidy(() => {
        const x = tf.slice(xc, [start, 0], [size, this.dim]);
        const diff = tf.abs(tf.sub(tf.expandDims(x, 1), tf.expandDims(this.prototypes, 0))); // [b, m, dim]
        const d = tf.sum(diff, 2);
        if (!R) return [d];
        const Rb = tf.slice(R, [start, 0], [size, this.nNeurons]);
        const zero = tf.lessEqual(d, 0);
        const r = tf.where(zero, tf.zerosLike(Rb), tf.div(Rb, tf.where(zero, tf.onesLike(d), d)));
        const shared = tf.div(tf.sum(tf.where(zero, Rb, tf.zerosLike(Rb)), 1, true), this.dim);
        return [d, tf.add(tf.squeeze(tf.matMul(tf.expandDims(r, 1), diff), [1]), shared)];
      });
      ds.push(block[0]);
      if (R) rs.push(block[1]);
    }
    const d = (ds.length === 1 ? ds[0] : tf.concat(ds, 0)) as tf.Tensor2D;
    if (!R) return { d };
    return { d, relevance: (rs.length === 1 ? rs[0] : tf.concat(rs, 0)) as tf.Tensor2D };
  }

  dispose(): void {
    tf.dispose([this.centre, this.prototypes, this.bias, this.squaredNorms, this.forwardBias]);
    tf.dispose(
      [this.forwardWeights, this.minusTwicePrototypes, this.squaredPrototypes].filter(
        (t): t is tf.Tensor2D => t !== null,
      ),
    );
    this.active?.dispose();
  }
}
