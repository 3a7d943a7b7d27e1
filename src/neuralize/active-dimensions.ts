/**
 * The dimensions in which centred prototypes differ from zero. A dimension where every prototype
 * sits at the centre (a border pixel that no support vector ever sets) adds nothing to x·u or to
 * r·U: leaving it out of the products is exact, and on MNIST it saves a fifth of their work.
 */
import { tf } from '../runtime/runtime.ts';

export class ActiveDimensions {
  /** number of active dimensions (≥ 1: an all-zero set keeps its first dimension) */
  readonly count: number;
  /** active indices [count], or null when every dimension is active */
  private readonly indices: tf.Tensor1D | null;
  /** inactive indices [dim − count] */
  private readonly others: tf.Tensor1D | null;
  /** position of each dimension in [active…, inactive…] [dim] */
  private readonly restore: tf.Tensor1D | null;

  /** `centred`: prototypes minus their centre [m, dim]. */
  constructor(centred: tf.Tensor2D) {
    const [m, dim] = centred.shape;
    const values = centred.dataSync();
    const active: number[] = [];
    const inactive: number[] = [];
    for (let i = 0; i < dim; i++) {
      let used = false;
      for (let j = 0; j < m && !used; j++) used = values[j * dim + i] !== 0;
      (used ? active : inactive).push(i);
    }
    if (active.length === 0) active.push(inactive.shift()!);
    this.count = active.length;
    if (inactive.length === 0) {
      this.indices = this.others = this.restore = null;
      return;
    }
    const restore = new Int32Array(dim);
    [...active, ...inactive].forEach((i, at) => (restore[i] = at));
    this.indices = tf.tensor1d(active, 'int32');
    this.others = tf.tensor1d(inactive, 'int32');
    this.restore = tf.tensor1d(restore, 'int32');
  }

  /** The active columns of rows [N, dim] → [N, count] (the rows themselves when all are active). */
  select(rows: tf.Tensor2D): tf.Tensor2D {
    return this.indices ? tf.gather(rows, this.indices, 1) : rows;
  }

  /**
   * Rows [N, dim] from their values on the active dimensions [N, count] and `inactive(rest)`, the
   * values on the others computed from those columns of `full` [N, dim].
   */
  merge(onActive: tf.Tensor2D, full: tf.Tensor2D, inactive: (rest: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    if (!this.others || !this.restore) return onActive;
    return tf.gather(tf.concat([onActive, inactive(tf.gather(full, this.others, 1))], 1), this.restore, 1);
  }

  dispose(): void {
    tf.dispose([this.indices, this.others, this.restore].filter((t): t is tf.Tensor1D => t !== null));
  }
}
