/** Defaults of feature-network training (light: no tfjs, for CLI help). */

/**
 * Epochs of the default CNN on the 10,000 MNIST digits (90/10 split, seed 0), from bench/features.ts:
 * held-out accuracy 97.2, 97.0, 96.9, 97.8, 97.8 % after epochs 3–7 (± 0.5 % sampling error on 999 digits).
 */
export const DEFAULT_EPOCHS = 6;
export const DEFAULT_BATCH_SIZE = 128;
export const DEFAULT_LEARNING_RATE = 1e-3;
export const DEFAULT_HELD_OUT_FRACTION = 0.1;
