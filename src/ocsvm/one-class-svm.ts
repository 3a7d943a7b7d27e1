/**
 * OneClassSVM: scikit-learn-like estimator around the libsvm-exact solver.
 *
 *   const svm = new OneClassSVM({ kernel: 'rbf', gamma: 'scale', nu: 0.1 }).fit(X);
 *   svm.decisionFunction(Y)  // Σ α_i k(sv_i, y) − ρ, > 0 for inliers
 *
 * X, Y: `{ data: Float32Array, n, d }` (row-major) or an array of rows (number[][]).
 * Call `initRuntime()` first: with the wasm (or native) tfjs backend active, Gaussian kernel rows
 * are float32 matrix products (about 10× faster than the JS loops used otherwise).
 */
import { UserError } from '../errors.ts';
import { KernelBlock } from './kernel-block.ts';
import { parseKernel, resolveGamma, type GammaOption, type KernelName } from './kernel.ts';
import { selectRows, toMatrix, type MatrixInput } from './matrix.ts';
import {
  readModelFile,
  stateFromJSON,
  stateToJSON,
  writeModelFile,
  type FittedState,
  type ModelJSON,
} from './model-file.ts';

export type { FittedState };
import { RowCache } from './row-cache.ts';
import { solveOneClass } from './solver.ts';
import { SupportScorer, type SupportExpansion } from './support-scorer.ts';

export interface OneClassSVMOptions {
  /** 'rbf' (alias 'gaussian', default) or 'laplacian' */
  kernel?: string;
  /** positive number, 'scale' (default, 1/(d·Var X)) or 'auto' (1/d) */
  gamma?: GammaOption;
  /** in (0, 1]; default 0.5 like scikit-learn */
  nu?: number;
  /** stopping tolerance; default 1e-3 like libsvm */
  tol?: number;
  /** iteration limit; default max(10⁷, 100·n) like libsvm */
  maxIter?: number;
  /** kernel row cache in MB; default 1024 */
  cacheMB?: number;
  /** libsvm's shrinking heuristic; default true (the optimum does not depend on it) */
  shrinking?: boolean;
  /**
   * Gaussian kernel blocks as tfjs float32 matrix products (fast; kernel values within ~2e-6
   * relative) instead of float64 JS loops; default: when the wasm or native backend is active
   * (call initRuntime first)
   */
  gemm?: boolean;
}

/**
 * The ν one-class SVM with libsvm's solution (docs/methods.md#ocsvm). `fit` takes the training
 * rows; `decisionFunction` is positive for inliers, negative for outliers; `toJSON`/`save` and
 * `fromJSON`/`load` keep a fitted model. Call `initRuntime()` first for the fast kernel products.
 *
 * @example
 * const svm = new OneClassSVM({ kernel: 'gaussian', nu: 0.1, gamma: 'scale' }).fit({ data, n, d });
 * const f = svm.decisionFunction({ data: other, n: m, d }); // Float64Array, f < 0: outlier
 */
export class OneClassSVM {
  readonly kernel: KernelName;
  readonly nu: number;
  readonly tol: number;
  readonly maxIter: number | undefined;
  readonly cacheMB: number;
  readonly shrinking: boolean;
  readonly gemm: boolean | undefined;
  /** gamma as given (number, 'scale' or 'auto'); `gamma` is the resolved number after fit */
  readonly gammaOption: GammaOption;
  private state: FittedState | null = null;

  constructor(options: OneClassSVMOptions = {}) {
    this.kernel = parseKernel(options.kernel ?? 'rbf');
    this.nu = options.nu ?? 0.5;
    if (typeof this.nu !== 'number' || !(this.nu > 0 && this.nu <= 1))
      throw new UserError(`nu must be in (0, 1] (got ${String(options.nu)})`);
    this.tol = options.tol ?? 1e-3;
    if (typeof this.tol !== 'number' || !(this.tol > 0))
      throw new UserError(`tol must be a positive number (got ${String(options.tol)})`);
    this.gammaOption = options.gamma ?? 'scale';
    if (this.gammaOption !== 'scale' && this.gammaOption !== 'auto')
      if (typeof this.gammaOption !== 'number' || !(this.gammaOption > 0) || !Number.isFinite(this.gammaOption))
        throw new UserError(`gamma must be a positive number, 'scale' or 'auto' (got ${String(options.gamma)})`);
    this.maxIter = options.maxIter;
    if (this.maxIter !== undefined && !(Number.isInteger(this.maxIter) && this.maxIter > 0))
      throw new UserError(`maxIter must be a positive integer (got ${String(options.maxIter)})`);
    this.cacheMB = options.cacheMB ?? 1024;
    if (!(this.cacheMB > 0)) throw new UserError(`cacheMB must be positive (got ${String(options.cacheMB)})`);
    this.shrinking = options.shrinking ?? true;
    this.gemm = options.gemm;
  }

  fit(xInput: MatrixInput): this {
    const start = performance.now();
    const x = toMatrix(xInput, 'training data');
    if (x.n < 2) throw new UserError(`training data: need at least 2 samples, got ${x.n}`);
    const gamma = resolveGamma(this.gammaOption, x);
    const block = new KernelBlock(x, this.kernel, gamma, { gemm: this.gemm });
    const rows = new RowCache(block, x, this.cacheMB * 2 ** 20);
    let sol;
    try {
      sol = solveOneClass(rows, { nu: this.nu, tol: this.tol, maxIter: this.maxIter, shrinking: this.shrinking });
    } finally {
      block.dispose();
    }
    const idx: number[] = [];
    for (let i = 0; i < x.n; i++) if (sol.alpha[i] > 0) idx.push(i);
    const supportIndices = Int32Array.from(idx);
    this.setState({
      kernel: this.kernel,
      gamma,
      nu: this.nu,
      tol: this.tol,
      rho: sol.rho,
      nTrain: x.n,
      d: x.d,
      supportIndices,
      dualCoef: Float64Array.from(idx, (i) => sol.alpha[i]),
      supportVectors: selectRows(x, supportIndices).data,
      iterations: sol.iterations,
      converged: sol.converged,
      fitSeconds: (performance.now() - start) / 1000,
    });
    return this;
  }

  /** Install a fitted state (used by fit and by the JSON loader). */
  setState(state: FittedState): void {
    this.state = state;
  }

  get fitted(): FittedState {
    if (!this.state) throw new UserError('the one-class SVM is not fitted yet: call fit(X) or load a model');
    return this.state;
  }

  get isFitted(): boolean {
    return this.state !== null;
  }

  get gamma(): number {
    return this.fitted.gamma;
  }
  get rho(): number {
    return this.fitted.rho;
  }
  get nTrain(): number {
    return this.fitted.nTrain;
  }
  get nSupport(): number {
    return this.fitted.supportIndices.length;
  }
  get d(): number {
    return this.fitted.d;
  }
  get supportIndices(): Int32Array {
    return this.fitted.supportIndices;
  }
  get dualCoef(): Float64Array {
    return this.fitted.dualCoef;
  }
  get supportVectors(): Float32Array {
    return this.fitted.supportVectors;
  }
  get iterations(): number {
    return this.fitted.iterations;
  }
  get converged(): boolean {
    return this.fitted.converged;
  }
  get fitSeconds(): number {
    return this.fitted.fitSeconds;
  }

  /** The kernel expansion Σ α_i k(sv_i, ·) as plain numbers (what SupportScorer and ParallelScorer need). */
  get expansion(): SupportExpansion {
    const s = this.fitted;
    return { kernel: s.kernel, gamma: s.gamma, d: s.d, supportVectors: s.supportVectors, dualCoef: s.dualCoef };
  }

  /** Σ_i α_i k(sv_i, x) for every row x (no −ρ). */
  scoreSamples(xInput: MatrixInput): Float64Array {
    const s = this.fitted;
    const x = toMatrix(xInput, 'scored data');
    if (x.n === 0) return new Float64Array(0);
    if (x.d !== s.d) throw new UserError(`scored data has ${x.d} features per sample, the model was trained on ${s.d}`);
    const scorer = new SupportScorer(this.expansion, { gemm: this.gemm });
    try {
      return scorer.score(x);
    } finally {
      scorer.dispose();
    }
  }

  /** Σ_i α_i k(sv_i, x) − ρ: positive for inliers, negative for outliers. */
  decisionFunction(x: MatrixInput): Float64Array {
    const scores = this.scoreSamples(x);
    const rho = this.fitted.rho;
    for (let r = 0; r < scores.length; r++) scores[r] -= rho;
    return scores;
  }

  toJSON(): ModelJSON {
    return stateToJSON(this.fitted);
  }

  static fromJSON(json: unknown, source = 'model JSON'): OneClassSVM {
    return OneClassSVM.fromState(stateFromJSON(json, source));
  }

  /** Save as JSON (atomic: temporary file + rename). */
  save(path: string): void {
    writeModelFile(path, this.toJSON());
  }

  static load(path: string): OneClassSVM {
    return OneClassSVM.fromState(readModelFile(path));
  }

  private static fromState(state: FittedState): OneClassSVM {
    const svm = new OneClassSVM({ kernel: state.kernel, gamma: state.gamma, nu: state.nu, tol: state.tol });
    svm.setState(state);
    return svm;
  }

  /** +1 (inlier, f(x) > 0) or −1 (outlier), like libsvm. */
  predict(x: MatrixInput): Int8Array {
    const f = this.decisionFunction(x);
    return Int8Array.from(f, (v) => (v > 0 ? 1 : -1));
  }
}
