/** A float32 one-hot mask, made as int32 and cast: the wasm OneHot kernel gives zeros (int bits) when asked for float32 directly. */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from './network.ts';

/** [N, depth] float32 with a 1 at column indices[n] of row n; `indices` an int32 tensor or array. */
export function oneHotMask(indices: Tensor | Int32Array, depth: number): Tensor {
  return tf.tidy(() =>
    tf.cast(tf.oneHot(indices instanceof tf.Tensor ? indices : tf.tensor1d(indices, 'int32'), depth), 'float32'),
  );
}
