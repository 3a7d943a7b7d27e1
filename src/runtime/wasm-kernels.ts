/**
 * The project's own kernels for the tfjs wasm backend: conv2d gradients (model.fit on conv nets,
 * LRP), transposed/batched matMul through the fast single product, a correct MaxPoolGrad,
 * UnsortedSegmentSum (the gradient of gather), and faster Sum over leading axes, GatherV2 and
 * Identity (which shares its buffer instead of copying it).
 *
 * The kernel registry is global and keyed by backend name: initRuntime registers them once, and they
 * take effect whenever 'wasm' is the backend.
 */
import { tf } from './tf.ts';
import type { WasmKernelFunc } from './wasm/kernel-calls.ts';
import { conv2dBackpropFilter, conv2dBackpropInput } from './wasm/conv2d-backprop.ts';
import { makeBatchMatMul } from './wasm/batch-matmul.ts';
import { maxPoolGrad } from './wasm/max-pool-grad.ts';
import { unsortedSegmentSum } from './wasm/unsorted-segment-sum.ts';
import { makeSum } from './wasm/sum.ts';
import { identity } from './wasm/identity.ts';
import { makeGather } from './wasm/gather.ts';

/** The backend's own kernels that the patches delegate to, kept before they are replaced. */
const originals = new Map<string, tf.KernelConfig>();

function original(kernelName: string): tf.KernelConfig {
  if (!originals.has(kernelName)) {
    const config = tf.getKernel(kernelName, 'wasm');
    if (!config) throw new Error(`tfjs-backend-wasm has not registered ${kernelName}`);
    originals.set(kernelName, config);
  }
  return originals.get(kernelName)!;
}

/** Replace a kernel by a wrapper around the backend's own (whose setupFunc binds the wasm call). */
function wrap(kernelName: string, makeWrapper: (own: WasmKernelFunc) => WasmKernelFunc): void {
  const own = original(kernelName);
  replace(kernelName, makeWrapper(own.kernelFunc as unknown as WasmKernelFunc), own.setupFunc);
}

function replace(kernelName: string, kernelFunc: WasmKernelFunc, setupFunc?: tf.KernelConfig['setupFunc']): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as never, setupFunc });
}

let registered = false;

/** Install the patched kernels; idempotent. */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  wrap('BatchMatMul', makeBatchMatMul);
  wrap('Sum', makeSum);
  wrap('GatherV2', makeGather);
  replace('Conv2DBackpropFilter', conv2dBackpropFilter);
  replace('Conv2DBackpropInput', conv2dBackpropInput);
  replace('MaxPoolGrad', maxPoolGrad);
  replace('UnsortedSegmentSum', unsortedSegmentSum);
  replace('Identity', identity);
}
