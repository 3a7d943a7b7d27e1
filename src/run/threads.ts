/**
 * When the two-thread versions (a worker beside the main thread) pay: starting a worker costs about
 * a second (tfjs and wasm load in it), and two threads at best halve the work. The per-unit costs
 * are one-thread figures from the benches (README "Measured", 2-core machine, wasm backend); they
 * only decide whether to start a worker, never change a result (the pools compute what one thread
 * computes).
 */
export const POOL_START_SECONDS = 1;

/** Kernel values × features: scoring 10,000 digits (784 pixels) against 1,035 support vectors takes 1.4 s. */
export const SECONDS_PER_KERNEL_PRODUCT = 1.7e-10;
/** n² × features: the fit on 10,000 digits takes 3.4 s. */
export const SECONDS_PER_FIT_PRODUCT = 4.3e-11;

/** OC-DTD on raw pixels: 10,000 digits against 1,011 support vectors in 2.7 s. */
export const SECONDS_PER_OCDTD_SAMPLE = 2.7e-4;
/** OC-DTD through the default CNN: a batch of 256 in about 0.3 s (0.84 input gradients). */
export const SECONDS_PER_DEEP_OCDTD_SAMPLE = 1.2e-3;

export type ThreadChoice = 'auto' | 1 | 2;

/** Whether work of `oneThreadSeconds` should run on two threads. */
export function twoThreadsPay(oneThreadSeconds: number, choice: ThreadChoice = 'auto'): boolean {
  if (choice !== 'auto') return choice === 2;
  return oneThreadSeconds / 2 > POOL_START_SECONDS;
}
