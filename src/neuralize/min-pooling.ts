/**
 * Min-pooling over the neurons of a layer ([N, m] → [N]): the soft minimum with temperature γ,
 * smin_γ(h) = −(1/γ) log Σ_j exp(−γ h_j), and the hard minimum it tends to as γ → ∞. Relevance
 * goes to the neurons in proportion to their soft-min weights (to the winner for the hard minimum),
 * so the pooling layer conserves it exactly.
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../explain/network.ts';
import { oneHotMask } from '../explain/one-hot.ts';

/** The largest γ float32 holds; larger temperatures behave identically (the hard minimum). */
const MAX_FLOAT32 = 3.4e38;

function checkGamma(gamma: number): number {
  if (!(gamma > 0)) throw new RangeError(`soft-min temperature gamma must be > 0, got ${gamma}`);
  return Math.min(gamma, MAX_FLOAT32);
}

/** exp(−γ (h − min h)) per row, and that minimum: the overflow-free core of the soft minimum. */
function shiftedExponentials(h: Tensor, gamma: number): { minimum: Tensor; e: Tensor } {
  const minimum = tf.min(h, 1, true);
  // h − min ≥ 0, so the exponent is ≤ 0: no overflow for any γ; the row minimum gives exp(0) = 1
  return { minimum, e: tf.exp(tf.mul(tf.sub(h, minimum), -gamma)) };
}

/** smin_γ(h) per row of h [N, m] → [N], computed as min − (1/γ) log Σ exp(−γ (h − min)). */
export function softMin(h: Tensor, gamma: number): Tensor {
  const g = checkGamma(gamma);
  return tf.tidy(() => {
    const { minimum, e } = shiftedExponentials(h, g);
    return tf.sub(tf.squeeze(minimum, [1]), tf.div(tf.log(tf.sum(e, 1)), g));
  });
}

/**
 * Soft-min weights p_j = exp(−γ h_j) / Σ_k exp(−γ h_k) per row of h [N, m]: rows sum to 1. The
 * backend's softmax of −γ (h − min h): on wasm its exponential is vectorised, twice as fast as exp.
 */
export function softMinWeights(h: Tensor, gamma: number): Tensor {
  const g = checkGamma(gamma);
  return tf.tidy(() => tf.softmax(tf.mul(tf.sub(h, tf.min(h, 1, true)), -g)));
}

/**
 * h with +∞ beyond its `k` smallest values per row (ties with the k-th kept), so that pooling runs
 * over the k nearest prototypes only; h itself when k is undefined or not below the row length.
 */
export function keepNearest(h: Tensor, k: number | undefined): Tensor {
  const m = h.shape[1] as number;
  if (k === undefined || k >= m) return h;
  return tf.tidy(() => {
    const kth = tf.neg(tf.slice(tf.topk(tf.neg(h), k).values, [0, k - 1], [-1, 1]));
    return tf.where(tf.lessEqual(h, kth), h, tf.fill(h.shape, Infinity));
  });
}

/** Weights of the hard minimum: 1 on the first minimal neuron of each row, 0 elsewhere. */
export function hardMinWeights(h: Tensor): Tensor {
  return tf.tidy(() => oneHotMask(tf.argMin(h, 1), h.shape[1] as number));
}

export class SoftMinPoolingLayer implements ExplainableLayer {
  readonly kind = 'soft-min-pooling';

  /**
   * `gamma`: the temperature (the SVM's γ gives o(x) exactly; κγ with κ > 1 a sharper minimum);
   * `nearest`: pool over the k smallest inputs of each row only (all by default).
   */
  constructor(
    readonly name: string,
    readonly gamma: number,
    readonly nearest?: number,
  ) {
    checkGamma(gamma);
    if (nearest !== undefined && !(Number.isInteger(nearest) && nearest >= 1)) {
      throw new RangeError(`soft-min pooling over the k nearest: k must be a positive integer, got ${nearest}`);
    }
  }

  forward(h: Tensor): Tensor {
    return tf.tidy(() => softMin(keepNearest(h, this.nearest), this.gamma));
  }

  /** R_j = p_j · R (docs/methods.md#ocdtd-pooling when R = o(x)); p_j = 0 beyond the k nearest. */
  relevance(h: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => tf.mul(softMinWeights(keepNearest(h, this.nearest), this.gamma), tf.expandDims(R, 1)));
  }

  dispose(): void {}
}

export class HardMinPoolingLayer implements ExplainableLayer {
  readonly kind = 'hard-min-pooling';

  constructor(readonly name: string) {}

  forward(h: Tensor): Tensor {
    return tf.min(h, 1);
  }

  /** All relevance to the winning (nearest) neuron. */
  relevance(h: Tensor, R: Tensor): Tensor {
    return tf.tidy(() => tf.mul(hardMinWeights(h), tf.expandDims(R, 1)));
  }

  dispose(): void {}
}
