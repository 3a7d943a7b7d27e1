/**
 * Sum over leading axes (bias gradients: [batch, h, w, c] → [c]) as one pass over memory. The
 * wasm backend's own Sum first transposes the reduced axes to the end, which costs more than the
 * sum; every other case goes to that kernel.
 */
import { floatView, sizeOf, type KernelArgs, type TensorInfo, type WasmKernelFunc } from './kernel-calls.ts';

export function makeSum(original: WasmKernelFunc): WasmKernelFunc {
  return (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort(
      (a, b) => a - b,
    );
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return original(args);
    const kept = x.shape.slice(axes.length);
    const rowSize = sizeOf(kept);
    const rows = sizeOf(x.shape) / rowSize;
    const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const out = args.backend.makeOutput(outShape, 'float32');
    const src = floatView(args.backend, x);
    const acc = new Float64Array(rowSize);
    // Four rows per pass halve the accumulator traffic.
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const at = r * rowSize;
      for (let j = 0; j < rowSize; j++) {
        acc[j] += src[at + j] + src[at + rowSize + j] + src[at + 2 * rowSize + j] + src[at + 3 * rowSize + j];
      }
    }
    for (; r < rows; r++) {
      for (let j = 0; j < rowSize; j++) acc[j] += src[r * rowSize + j];
    }
    floatView(args.backend, out).set(acc);
    return out;
  };
}
