/**
 * One-class SVM scoring on several cores: the wasm backend runs one thread per Node thread, so the
 * samples are split between the main thread (the first slice) and worker threads (one slice each,
 * see explain/worker-pool.ts), each holding its own copy of the support vectors, α and γ. Start
 * once (≈ 0.5–2 s per worker: tsx, tfjs and wasm load in each), then score many times.
 *
 *   const scorer = await ParallelScorer.start(svm);      // 1 worker + the main thread
 *   const f = await scorer.decisionFunction(X);          // = svm.decisionFunction(X), to float32 rounding
 *   await scorer.close();
 */
import { UserError } from '../errors.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { toMatrix, type MatrixInput } from './matrix.ts';
import type { OneClassSVM } from './one-class-svm.ts';
import { SupportScorer, type SupportExpansion } from './support-scorer.ts';

export interface ScorerWorkerInit {
  expansion: SupportExpansion;
  gemm: boolean | undefined;
}

export interface ScoreJob {
  /** rows × d, row-major */
  x: Float32Array;
  rows: number;
}

export interface ParallelScorerOptions {
  /** worker threads besides the main thread (default 1: two cores in all) */
  workers?: number;
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'scorer-worker');

export class ParallelScorer {
  private closed = false;

  private constructor(
    private readonly local: SupportScorer,
    private readonly rho: number,
    private readonly pool: WorkerPool<ScorerWorkerInit, ScoreJob, Float64Array>,
  ) {}

  /** A pool for the fitted `svm` (its current support vectors: refitting it later does not reach the pool). */
  static async start(svm: OneClassSVM, options: ParallelScorerOptions = {}): Promise<ParallelScorer> {
    const count = workerCount(options.workers, 'parallel scorer');
    const expansion = svm.expansion;
    const local = new SupportScorer(expansion, { gemm: svm.gemm });
    try {
      const pool = await WorkerPool.start<ScorerWorkerInit, ScoreJob, Float64Array>(WORKER_SCRIPT, count, {
        expansion,
        gemm: svm.gemm,
      });
      local.score({ data: new Float32Array(expansion.d), n: 1, d: expansion.d }); // warm-up, as the workers do
      return new ParallelScorer(local, svm.rho, pool);
    } catch (e) {
      local.dispose();
      throw e;
    }
  }

  /** Threads that score (the main thread and the workers). */
  get threads(): number {
    return this.pool.size + 1;
  }

  /** Σ_i α_i k(sv_i, x) for every row x, as OneClassSVM.scoreSamples computes it. */
  async scoreSamples(xInput: MatrixInput): Promise<Float64Array> {
    if (this.closed) throw new UserError('parallel scorer: already closed');
    const x = toMatrix(xInput, 'scored data');
    const { d } = this.local.expansion;
    if (x.n === 0) return new Float64Array(0);
    if (x.d !== d) throw new UserError(`scored data has ${x.d} features per sample, the model was trained on ${d}`);
    const { local, remote } = await this.pool.splitRows(
      x.data,
      x.n,
      d,
      (values, from, to) => ({ x: values, rows: to - from }),
      (from, to) => this.local.score(x, from, to),
    );
    const out = new Float64Array(x.n);
    [local, ...remote].reduce((at, part) => (out.set(part, at), at + part.length), 0);
    return out;
  }

  /** Σ_i α_i k(sv_i, x) − ρ, as OneClassSVM.decisionFunction computes it. */
  async decisionFunction(x: MatrixInput): Promise<Float64Array> {
    const scores = await this.scoreSamples(x);
    for (let r = 0; r < scores.length; r++) scores[r] -= this.rho;
    return scores;
  }

  /** Stop the workers and free the main thread's uploaded support vectors. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.local.dispose();
    await this.pool.close();
  }
}
