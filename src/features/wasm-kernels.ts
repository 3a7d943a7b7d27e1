/**
 * The project's own kernels for the tfjs wasm backend: conv2d gradients (model.fit on conv nets,
 * LRP), transposed/batched matMul through the fast single product, a correct MaxPoolGrad, and
 * UnsortedSegmentSum (the gradient of gather).
 *
 * The kernel registry is global and keyed by backend name, so the kernels are registered as soon
 * as this module loads (runtime.ts imports it): they take effect whenever 'wasm' is the backend.
 */
import { tf } from './runtime.ts';
import type { WasmKernelFunc } from './wasm/kernel-calls.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './wasm/conv2d-backprop.ts';
import { makeBatchMatMul } from './wasm/batch-matmul.ts';
import { maxPoolGrad } from './wasm/max-pool-grad.ts';
import { unsortedSegmentSum } from './wasm/unsorted-segment-sum.ts';

/** The backend's own BatchMatMul, kept before it is replaced (its setupFunc binds the wasm call). */
let originalBatchMatMul: tf.KernelConfig | undefined;

function replace(kernelName: string, kernelFunc: WasmKernelFunc, setupFunc?: tf.KernelConfig['setupFunc']): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as never, setupFunc });
}

/** Install the patched kernels; idempotent. */
export function registerWasmKernels(): void {
  originalBatchMatMul ??= tf.getKernel('BatchMatMul', 'wasm');
  if (!originalBatchMatMul) throw new Error('tfjs-backend-wasm has not registered BatchMatMul');
  const fast = originalBatchMatMul.kernelFunc as unknown as WasmKernelFunc;
  replace('BatchMatMul', makeBatchMatMul(fast), originalBatchMatMul.setupFunc);
  replace('Conv2DBackpropFilter', conv2dBackpropFilter);
  replace('Conv2DBackpropInput', conv2dBackpropInput);
  replace('MaxPoolGrad', maxPoolGrad);
  replace('UnsortedSegmentSum', unsortedSegmentSum);
}

registerWasmKernels();
