/** The one-class SVM engine: libsvm's ν-OCSVM solution, computed faster. */
export { OneClassSVM, type OneClassSVMOptions, type FittedState } from './one-class-svm.ts';
export { KERNELS, kernelValue, parseKernel, resolveGamma, type GammaOption, type KernelName } from './kernel.ts';
export { toMatrix, type Matrix, type MatrixInput } from './matrix.ts';
export { MODEL_FORMAT, MODEL_VERSION, type ModelJSON } from './model-file.ts';
export { solveOneClass, type KernelRows, type SolverOptions, type SolverResult } from './solver.ts';
export { RowCache, defaultCacheBytes, type RowSource } from './row-cache.ts';
export { KernelBlock, fastGemmAvailable, type KernelBlockOptions } from './kernel-block.ts';
