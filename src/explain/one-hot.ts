/** A float32 one-hot mask, made as int32 and cast: the wasm OneHot kernel gives zeros (int bits) when asked for float32 directly. */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from './network.ts';

/**
 * [N, depth] float32 with a 1 at column indices[n] of row n; `indices` an int32 tensor or array.
 * Depth 1 (one output unit, one support vector) is a column of ones: tfjs's oneHot refuses it.
 */
export function oneHotMask(indices: Tensor | Int32Array, depth: number): Tensor {
  return tf.tidy(() => {
    const rows = indices instanceof tf.Tensor ? indices : tf.tensor1d(indices, 'int32');
    if (depth === 1) return tf.cast(tf.reshape(tf.equal(rows, 0), [-1, 1]), 'float32');
    return tf.cast(tf.oneHot(rows, depth), 'float32');
  });
}
