/**
 * Plumbing shared by the wasm kernel patches: the slice of the wasm backend they use, calling
 * another registered kernel directly (no engine bookkeeping, no tape), and freeing intermediates.
 */
import { tf } from '../tf.ts';

export type TensorInfo = tf.TensorInfo;

/** The members of tfjs-backend-wasm's BackendWasm that the patches rely on. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

export interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
}

export type WasmKernelFunc = (args: KernelArgs) => TensorInfo;

/** Run the kernel currently registered for wasm under `name`; the caller owns the result. */
export function callKernel(
  name: string,
  inputs: Record<string, TensorInfo> | TensorInfo[],
  attrs: Record<string, unknown>,
  backend: WasmBackend,
): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel '${name}' is not registered`);
  return kernel.kernelFunc({ inputs, attrs, backend } as never) as TensorInfo;
}

/** Give intermediate results back to the backend. */
export function release(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Views on the heap die when the heap grows: take them only after every allocation. */
export function floatView(backend: WasmBackend, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
