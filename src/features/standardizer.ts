/**
 * Scaling of the features, fitted on the rows the SVM is fitted on, so that each part of the
 * features ("block": the values of one layer) weighs the same in the SVM's distances:
 *   - in a block of layer activations each feature is standardised, z_j = (φ_j − μ_j) / σ_j
 *     (units of one layer live on scales of their own);
 *   - a block in pixel units (raw pixels, an autoencoder's residual) keeps its proportions: one
 *     common factor for the whole block (a pixel that hardly varies would be blown up otherwise);
 *   - then every block is divided by the square root of its total variance, so each block adds
 *     the same expected amount to a squared distance, whatever its number of features.
 * With one block the last step is a common factor, which γ = 'scale' does not see.
 */
import { UserError } from '../errors.ts';

export interface FeatureBlock {
  /** features in the block (consecutive columns) */
  size: number;
  /** standardise each feature (layer activations), or scale the block as one (pixel units) */
  perFeature: boolean;
}

export interface StandardizerState {
  mean: number[];
  scale: number[];
}

/**
 * A feature almost constant on the fitted rows (a unit that never fires) would be blown up by its
 * tiny σ; σ is floored at this share of the block's mean σ.
 */
const SCALE_FLOOR = 0.01;

export class Standardizer {
  mean: Float64Array = new Float64Array(0);
  scale: Float64Array = new Float64Array(0);

  /** Fit on n × d rows whose columns are `blocks` in order (default: one block, per feature). */
  fit(rows: Float32Array, d: number, blocks: readonly FeatureBlock[] = [{ size: d, perFeature: true }]): this {
    const n = rows.length / d;
    if (!Number.isInteger(n) || n < 1) throw new UserError(`standardisation needs whole rows of ${d} values`);
    if (blocks.reduce((total, b) => total + b.size, 0) !== d)
      throw new UserError(
        `standardisation: the blocks cover ${blocks.map((b) => b.size).join(' + ')} columns, not ${d}`,
      );
    const mean = new Float64Array(d);
    const variance = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const c = rows[i * d + j] - mean[j];
        variance[j] += c * c;
      }
    }
    for (let j = 0; j < d; j++) variance[j] /= n;
    const scale = new Float64Array(d).fill(1);
    let start = 0;
    for (const block of blocks) {
      const end = start + block.size;
      if (block.perFeature) {
        let sdSum = 0;
        for (let j = start; j < end; j++) sdSum += Math.sqrt(variance[j]);
        const floor = Math.max((SCALE_FLOOR * sdSum) / block.size, Number.MIN_VALUE);
        for (let j = start; j < end; j++) scale[j] = Math.max(Math.sqrt(variance[j]), floor);
      }
      let total = 0;
      for (let j = start; j < end; j++) total += variance[j] / (scale[j] * scale[j]);
      if (total > 0) for (let j = start; j < end; j++) scale[j] *= Math.sqrt(total);
      start = end;
    }
    this.mean = mean;
    this.scale = scale;
    return this;
  }

  /** The scaled copy of n × d rows. */
  transform(rows: Float32Array): Float32Array {
    const d = this.mean.length;
    if (d === 0 || rows.length % d !== 0) throw new UserError(`standardisation: expected rows of ${d} values`);
    const out = new Float32Array(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = (rows[k] - this.mean[k % d]) / this.scale[k % d];
    return out;
  }

  toJSON(): StandardizerState {
    return { mean: Array.from(this.mean), scale: Array.from(this.scale) };
  }

  static fromJSON(state: StandardizerState): Standardizer {
    const s = new Standardizer();
    s.mean = Float64Array.from(state.mean);
    s.scale = Float64Array.from(state.scale);
    return s;
  }
}
