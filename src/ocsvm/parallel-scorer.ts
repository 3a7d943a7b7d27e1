/**
 * One-class SVM scoring on several cores: the wasm backend runs one thread per Node thread, so the
 * samples are scored by the main thread and worker threads together, each holding its own copy of
 * the support vectors, α and γ. The rows sit in shared memory in chunks that every thread claims
 * one by one (runtime/chunk-claims.ts): a worker that starts late or runs slowly on a busy machine
 * scores fewer chunks instead of holding up the batch. Start once (≈ 0.5–2 s per worker: tfjs and
 * wasm load in each), then score many times.
 *
 *   const scorer = await ParallelScorer.start(svm);      // 1 worker + the main thread
 *   const f = await scorer.decisionFunction(X);          // = svm.decisionFunction(X), bit for bit
 *   await scorer.close();
 */
import { UserError } from '../errors.ts';
import { claimChunks, newControl, nextFirst } from '../runtime/chunk-claims.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { toMatrix, type Matrix, type MatrixInput } from './matrix.ts';
import type { OneClassSVM } from './one-class-svm.ts';
import { SupportScorer, type SupportExpansion } from './support-scorer.ts';

/** Rows per claimed chunk: large enough for an efficient matrix product, small enough to balance. */
export const SCORE_CHUNK = 512;

export interface ScorerWorkerInit {
  expansion: SupportExpansion;
  gemm: boolean | undefined;
  /** Int32Array of the chunk claims (runtime/chunk-claims.ts), shared by all calls */
  control: SharedArrayBuffer;
}

export interface ScoreJob {
  /** rows × d floats, row-major */
  x: SharedArrayBuffer;
  rows: number;
  /** the scores, rows float64 */
  out: SharedArrayBuffer;
  /** the batch's chunks are claims [first, first + ⌈rows / SCORE_CHUNK⌉) */
  first: number;
}

export interface ParallelScorerOptions {
  /** worker threads besides the main thread (default 1: two cores in all) */
  workers?: number;
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'scorer-worker');

/** Score chunk c of x into out (what the main thread and every worker do). */
export function scoreChunk(scorer: SupportScorer, x: Matrix, out: Float64Array, c: number): void {
  const from = c * SCORE_CHUNK;
  const to = Math.min(x.n, from + SCORE_CHUNK);
  out.set(scorer.score(x, from, to), from);
}

export class ParallelScorer {
  private closed = false;

  private constructor(
    private readonly local: SupportScorer,
    private readonly rho: number,
    private readonly control: Int32Array,
    private readonly pool: WorkerPool<ScorerWorkerInit, ScoreJob, null>,
  ) {}

  /** A pool for the fitted `svm` (its current support vectors: refitting it later does not reach the pool). */
  static async start(svm: OneClassSVM, options: ParallelScorerOptions = {}): Promise<ParallelScorer> {
    const count = workerCount(options.workers, 'parallel scorer');
    const expansion = svm.expansion;
    const local = new SupportScorer(expansion, { gemm: svm.gemm });
    const control = newControl();
    try {
      const pool = await WorkerPool.start<ScorerWorkerInit, ScoreJob, null>(WORKER_SCRIPT, count, {
        expansion,
        gemm: svm.gemm,
        control: control.buffer as SharedArrayBuffer,
      });
      local.score({ data: new Float32Array(expansion.d), n: 1, d: expansion.d }); // warm-up, as the workers do
      return new ParallelScorer(local, svm.rho, control, pool);
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
    const shared = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    shared.set(x.data);
    const out = new Float64Array(new SharedArrayBuffer(x.n * 8));
    const first = nextFirst(this.control);
    const job: ScoreJob = {
      x: shared.buffer as SharedArrayBuffer,
      rows: x.n,
      out: out.buffer as SharedArrayBuffer,
      first,
    };
    const workers = Array.from({ length: this.pool.size }, (_, k) => this.pool.run(k, job));
    try {
      claimChunks(this.control, first, Math.ceil(x.n / SCORE_CHUNK), (c) => scoreChunk(this.local, x, out, c));
    } finally {
      await Promise.allSettled(workers); // every claimed chunk is scored before `out` is read or dropped
    }
    await Promise.all(workers); // a worker's own error
    return Float64Array.from(out);
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
