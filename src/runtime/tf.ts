/**
 * tfjs and its wasm backend, loaded without side effects of ours: the project's wasm kernels are
 * registered by initRuntime (runtime.ts), not on import.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };
