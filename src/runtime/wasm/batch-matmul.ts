/**
 * BatchMatMul on the wasm backend is fast only for a single, untransposed product. This wrapper
 * transposes operands explicitly and splits batches into single products before delegating.
 */
import { tf } from '../tf.ts';
import {
  callKernel,
  floatView,
  release,
  sizeOf,
  type KernelArgs,
  type TensorInfo,
  type WasmKernelFunc,
} from './kernel-calls.ts';

function swapLastTwo(backend: KernelArgs['backend'], t: TensorInfo): TensorInfo {
  const rank = t.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return callKernel('Transpose', { x: t }, { perm }, backend);
}

function reshaped(backend: KernelArgs['backend'], t: TensorInfo, shape: number[]): TensorInfo {
  return callKernel('Reshape', { x: t }, { shape }, backend);
}

/** `fast` is the backend's own BatchMatMul, called only with untransposed [1,M,K]×[1,K,N]. */
export function makeBatchMatMul(fast: WasmKernelFunc): WasmKernelFunc {
  const single = (backend: KernelArgs['backend'], a: TensorInfo, b: TensorInfo) =>
    fast({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });

  return (args) => {
    const { inputs, backend, attrs } = args;
    // The backend's kernel rejects other dtypes itself, before any work.
    if (inputs.a.dtype !== 'float32' || inputs.b.dtype !== 'float32') return fast(args);
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const a = transposeA ? swapLastTwo(backend, inputs.a) : inputs.a;
    const b = transposeB ? swapLastTwo(backend, inputs.b) : inputs.b;
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = sizeOf(outerA);
    const batchB = sizeOf(outerB);
    const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);

    let out: TensorInfo;
    if (batchB === 1) {
      // Every batch of A meets the same B: one tall product.
      const a2 = reshaped(backend, a, [1, batchA * m, k]);
      const b2 = reshaped(backend, b, [1, k, n]);
      const prod = single(backend, a2, b2);
      out = reshaped(backend, prod, [...outer, m, n]);
      release(backend, a2, b2, prod);
    } else if (batchA === 1 || (batchA === batchB && sizeOf(outer) === batchA)) {
      // Either A is shared, or A and B run over the same batches in the same order.
      out = batchedProducts(backend, single, a, b, batchA, batchB, m, k, n, outer);
    } else {
      // Both broadcast against each other (e.g. [3,1] with [1,3]): rare; the backend's loop does it.
      out = fast({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
    }
    if (transposeA) release(backend, a);
    if (transposeB) release(backend, b);
    return out;
  };
}

function batchedProducts(
  backend: KernelArgs['backend'],
  single: (backend: KernelArgs['backend'], a: TensorInfo, b: TensorInfo) => TensorInfo,
  a: TensorInfo,
  b: TensorInfo,
  batchA: number,
  batchB: number,
  m: number,
  k: number,
  n: number,
  outer: number[],
): TensorInfo {
  const batch = Math.max(batchA, batchB);
  const a3 = reshaped(backend, a, [batchA, m, k]);
  const b3 = reshaped(backend, b, [batchB, k, n]);
  const products: TensorInfo[] = [];
  for (let i = 0; i < batch; i++) {
    const ai = callKernel('Slice', { x: a3 }, { begin: [batchA === 1 ? 0 : i, 0, 0], size: [1, m, k] }, backend);
    const bi = callKernel('Slice', { x: b3 }, { begin: [i, 0, 0], size: [1, k, n] }, backend);
    products.push(single(backend, ai, bi));
    release(backend, ai, bi);
  }
  release(backend, a3, b3);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const dst = floatView(backend, out);
  products.forEach((p, i) => dst.set(floatView(backend, p), i * m * n));
  release(backend, ...products);
  return out;
}
