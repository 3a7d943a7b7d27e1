/**
 * Identity (what tf.clone and same-dtype casts run) shares the buffer and counts a reference, as
 * the cpu backend does; the wasm backend's own copies it. Safe because no wasm kernel writes into
 * its inputs.
 */
import type { KernelArgs, TensorInfo } from './kernel-calls.ts';

export function identity({ inputs, backend }: KernelArgs): TensorInfo {
  const { x } = inputs;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
