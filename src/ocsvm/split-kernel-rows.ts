/**
 * Rows of the training kernel matrix Q on several cores: the columns j of Q (the reference rows
 * x_j) are split into one contiguous range per thread, the main thread computing the first while
 * each worker computes its own, all at once, for the same block of query rows. The solver stays
 * synchronous: the query rows and the workers' results pass through shared memory and the threads
 * meet through Atomics (no message per block). Every thread builds its KernelBlock with the whole
 * data set's centre and path (sparse or dense, GEMM or not), so each kernel value is the one a
 * single block over all the data computes, bit for bit: the solver's α and ρ do not depend on the
 * number of threads.
 *
 *   const rows = await SplitKernelRows.start(x, 'rbf', gamma);   // 1 worker + the main thread
 *   solveOneClass(new RowCache(rows, budget), options);
 *   await rows.close();
 */
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { KernelBlock, fastGemmAvailable, gemmCentre, prefersSparse, type GemmCentre } from './kernel-block.ts';
import type { KernelName } from './kernel.ts';
import type { Matrix } from './matrix.ts';
import { BATCH_ROWS, type RowSource } from './row-cache.ts';

/** Slots of the control array shared with each worker. */
export const CTRL_REQUEST = 0; // sequence number of the latest block asked for (−1: stop)
export const CTRL_DONE = 1; // sequence number of the latest block finished (−1: failed)
export const CTRL_ROWS = 2; // query rows in the block
export const CTRL_SLOTS = 3;
export const STOP = -1;
export const FAILED = -1;

/** A worker waiting longer than this for its part of one block is taken as lost. */
const BLOCK_TIMEOUT_MS = 600_000;

export interface KernelRowsWorkerInit {
  kernel: KernelName;
  gamma: number;
  d: number;
  gemm: boolean;
  sparse: boolean;
  centre: GemmCentre | null;
}

export interface KernelRowsJob {
  /** the worker's reference rows (its columns of Q), row-major */
  ref: Float32Array;
  rows: number;
  /** Int32Array(CTRL_SLOTS) over shared memory */
  control: SharedArrayBuffer;
  /** the block's query rows, BATCH_ROWS × d floats */
  query: SharedArrayBuffer;
  /** the worker's columns of the block, BATCH_ROWS × rows floats */
  out: SharedArrayBuffer;
}

interface WorkerPart {
  from: number;
  to: number;
  control: Int32Array;
  query: Float32Array;
  out: Float32Array;
  /** settles when the worker leaves its serving loop */
  serving: Promise<unknown>;
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'kernel-rows-worker');

export interface SplitKernelRowsOptions {
  /** worker threads besides the main thread (default 1: two cores in all) */
  workers?: number;
  /** as KernelBlockOptions.gemm */
  gemm?: boolean;
}

export class SplitKernelRows implements RowSource {
  readonly n: number;
  private sequence = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    private readonly x: Matrix,
    private readonly local: KernelBlock,
    /** the main thread's columns [0, localTo) */
    private readonly localTo: number,
    private readonly parts: WorkerPart[],
    private readonly pool: WorkerPool<KernelRowsWorkerInit, KernelRowsJob, null>,
  ) {
    this.n = x.n;
  }

  static async start(
    x: Matrix,
    kernel: KernelName,
    gamma: number,
    options: SplitKernelRowsOptions = {},
  ): Promise<SplitKernelRows> {
    const count = workerCount(options.workers, 'kernel rows');
    const { n, d } = x;
    const gemm = kernel === 'rbf' && (options.gemm ?? fastGemmAvailable());
    const sparse = prefersSparse(x);
    const centre = gemm ? gemmCentre(x) : null;
    const threads = Math.max(1, Math.min(count + 1, n));
    const bounds = Array.from({ length: threads + 1 }, (_, k) => Math.round((k * n) / threads));
    const pool = await WorkerPool.start<KernelRowsWorkerInit, KernelRowsJob, null>(WORKER_SCRIPT, threads - 1, {
      kernel,
      gamma,
      d,
      gemm,
      sparse,
      centre,
    });
    const parts = bounds.slice(1, -1).map((from, k): WorkerPart => {
      const to = bounds[k + 2];
      const control = new SharedArrayBuffer(CTRL_SLOTS * 4);
      const query = new SharedArrayBuffer(BATCH_ROWS * d * 4);
      const out = new SharedArrayBuffer(BATCH_ROWS * (to - from) * 4);
      const ref = x.data.slice(from * d, to * d);
      const serving = pool.run(k, { ref, rows: to - from, control, query, out }, [ref.buffer]);
      serving.catch(() => {}); // read in close(); a failure also shows in the control array
      return {
        from,
        to,
        control: new Int32Array(control),
        query: new Float32Array(query),
        out: new Float32Array(out),
        serving,
      };
    });
    const mine = { data: x.data.subarray(0, bounds[1] * d), n: bounds[1], d };
    const local = new KernelBlock(mine, kernel, gamma, { gemm, sparse, centre: centre ?? undefined });
    return new SplitKernelRows(x, local, bounds[1], parts, pool);
  }

  /** Threads that compute (the main thread and the workers). */
  get threads(): number {
    return this.parts.length + 1;
  }

  compute(rows: ArrayLike<number>, out: Float32Array): void {
    if (this.closed) throw new Error('kernel rows: already closed');
    if (this.failure) throw this.failure;
    const { n, d, data } = this.x;
    const m = rows.length;
    if (m > BATCH_ROWS) throw new Error(`kernel rows: at most ${BATCH_ROWS} rows per block, got ${m}`);
    const seq = ++this.sequence;
    for (const part of this.parts) {
      for (let r = 0; r < m; r++) part.query.set(data.subarray(rows[r] * d, rows[r] * d + d), r * d);
      Atomics.store(part.control, CTRL_ROWS, m);
      Atomics.store(part.control, CTRL_REQUEST, seq);
      Atomics.notify(part.control, CTRL_REQUEST);
    }
    const width = this.localTo;
    const mine = new Float32Array(m * width);
    this.local.compute(this.x, rows, mine);
    for (let r = 0; r < m; r++) out.set(mine.subarray(r * width, r * width + width), r * n);
    for (const part of this.parts) {
      this.await(part, seq);
      const w = part.to - part.from;
      for (let r = 0; r < m; r++) out.set(part.out.subarray(r * w, r * w + w), r * n + part.from);
    }
  }

  /** Block until the worker has finished block `seq`. */
  private await(part: WorkerPart, seq: number): void {
    const started = Date.now();
    for (;;) {
      const done = Atomics.load(part.control, CTRL_DONE);
      if (done === seq) return;
      if (done === FAILED) {
        this.failure = new Error('kernel rows: a worker failed (see close() for its message)');
        throw this.failure;
      }
      if (Date.now() - started > BLOCK_TIMEOUT_MS) {
        this.failure = new Error(`kernel rows: no answer from a worker within ${BLOCK_TIMEOUT_MS / 1000} s`);
        throw this.failure;
      }
      Atomics.wait(part.control, CTRL_DONE, done, 1000);
    }
  }

  /**
   * Stop the workers and free the main thread's reference. Throws the first worker's error when
   * one failed (its own message, not the placeholder that compute threw).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.local.dispose();
    for (const part of this.parts) {
      Atomics.store(part.control, CTRL_REQUEST, STOP);
      Atomics.notify(part.control, CTRL_REQUEST);
    }
    const settled = await Promise.allSettled(this.parts.map((p) => p.serving));
    await this.pool.close();
    const rejected = settled.find((s) => s.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  }
}
