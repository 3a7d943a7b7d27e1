/**
 * Rows of the training kernel matrix Q on several cores. The columns j of Q (the reference rows
 * x_j) are split in two: the main thread's own range [0, a), and a shared range [a, n) cut into
 * chunks. For each block of query rows, the workers take shared chunks one by one while the main
 * thread computes its own range, then the main thread takes whatever chunks are left. A worker that
 * is late (a busy machine) therefore delays nothing: the main thread does its chunks. The solver
 * stays synchronous: the query rows and the workers' results pass through shared memory, and the
 * threads meet through Atomics (no message per block).
 *
 * Every thread builds its kernel blocks with the whole data set's centre and path (sparse or dense,
 * GEMM or not), so each kernel value is the one a single block over all the data computes, bit for
 * bit, whichever thread computes it: the solver's α and ρ do not depend on the number of threads.
 * Memory: the main thread holds the whole reference set, every worker the shared range.
 *
 *   const rows = await SplitKernelRows.start(x, 'rbf', gamma);   // 1 worker + the main thread
 *   solveOneClass(new RowCache(rows, budget), options);
 *   await rows.close();
 */
import { CONTROL_SLOTS, awaitChunks, claimChunks, newControl } from '../runtime/chunk-claims.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { KernelBlock, fastGemmAvailable, gemmCentre, prefersSparse, type GemmCentre } from './kernel-block.ts';
import type { KernelName } from './kernel.ts';
import type { Matrix } from './matrix.ts';
import { BATCH_ROWS, type RowSource } from './row-cache.ts';

/** Slots of the control array after the chunk claims' own (runtime/chunk-claims.ts). */
export const CTRL_REQUEST = CONTROL_SLOTS; // the latest block asked for, 1, 2, … (STOP: stop serving)
export const CTRL_ROWS = CONTROL_SLOTS + 1; // query rows in it
const CTRL_SLOTS = CONTROL_SLOTS + 2;
export const STOP = -1;

/** Shared chunks of at least this many columns (each is one matrix product per block)… */
const MIN_CHUNK_COLUMNS = 2000;
/** …and at most this many chunks. */
const MAX_CHUNKS = 8;

export interface KernelRowsWorkerInit {
  kernel: KernelName;
  gamma: number;
  d: number;
  gemm: boolean;
  sparse: boolean;
  centre: GemmCentre | null;
  /** the shared range's rows, row-major (shared memory: one copy for all workers) */
  shared: SharedArrayBuffer;
  /** chunk boundaries within the shared range (C + 1 values, from 0 to its row count); block s claims chunks [(s−1)·C, s·C) */
  chunks: number[];
  /** Int32Array(CTRL_SLOTS) */
  control: SharedArrayBuffer;
  /** the block's query rows, BATCH_ROWS × d floats */
  query: SharedArrayBuffer;
  /** the shared range's columns of the block, BATCH_ROWS × (shared rows) floats */
  out: SharedArrayBuffer;
}

/** Kernel blocks over each chunk of the shared range (rows `shared`, chunk bounds `chunks`). */
export function chunkBlocks(
  shared: Float32Array,
  chunks: number[],
  init: Pick<KernelRowsWorkerInit, 'kernel' | 'gamma' | 'd' | 'gemm' | 'sparse' | 'centre'>,
): KernelBlock[] {
  const { kernel, gamma, d, gemm, sparse, centre } = init;
  return chunks.slice(0, -1).map((from, c) => {
    const to = chunks[c + 1];
    const ref = { data: shared.subarray(from * d, to * d), n: to - from, d };
    return new KernelBlock(ref, kernel, gamma, { gemm, sparse, centre: centre ?? undefined });
  });
}

/** Compute chunk c of the shared range for query rows `rows` of `query`, into `out` (row stride `stride`, at column `at`). */
export function computeChunk(
  block: KernelBlock,
  query: Matrix,
  rows: ArrayLike<number>,
  out: Float32Array,
  stride: number,
  at: number,
): void {
  const w = block.n;
  const scratch = new Float32Array(rows.length * w);
  block.compute(query, rows, scratch);
  for (let r = 0; r < rows.length; r++) out.set(scratch.subarray(r * w, r * w + w), r * stride + at);
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
  private readonly control: Int32Array;
  private readonly query: Float32Array;
  private readonly sharedOut: Float32Array;

  private constructor(
    private readonly x: Matrix,
    /** the main thread's own columns [0, own.n) */
    private readonly own: KernelBlock,
    /** the main thread's blocks over the shared chunks */
    private readonly chunkBlocks: KernelBlock[],
    /** chunk bounds within the shared range */
    private readonly chunks: number[],
    init: KernelRowsWorkerInit,
    private readonly pool: WorkerPool<KernelRowsWorkerInit, null, null>,
    /** settles when the workers leave their serving loops */
    private readonly serving: Promise<unknown>[],
  ) {
    this.n = x.n;
    this.control = new Int32Array(init.control);
    this.query = new Float32Array(init.query);
    this.sharedOut = new Float32Array(init.out);
  }

  static async start(
    x: Matrix,
    kernel: KernelName,
    gamma: number,
    options: SplitKernelRowsOptions = {},
  ): Promise<SplitKernelRows> {
    const workers = Math.min(workerCount(options.workers, 'kernel rows'), x.n - 1);
    const { n, d } = x;
    const gemm = kernel === 'rbf' && (options.gemm ?? fastGemmAvailable());
    const sparse = prefersSparse(x);
    const centre = gemm ? gemmCentre(x) : null;
    const ownTo = workers > 0 ? Math.round(n / (workers + 1)) : n;
    const sharedRows = n - ownTo;
    const chunkCount = Math.max(1, Math.min(MAX_CHUNKS, Math.round(sharedRows / MIN_CHUNK_COLUMNS), sharedRows));
    const chunks = Array.from({ length: chunkCount + 1 }, (_, c) => Math.round((c * sharedRows) / chunkCount));
    const shared = new SharedArrayBuffer(sharedRows * d * 4);
    new Float32Array(shared).set(x.data.subarray(ownTo * d, n * d));
    const init: KernelRowsWorkerInit = {
      kernel,
      gamma,
      d,
      gemm,
      sparse,
      centre,
      shared,
      chunks,
      control: newControl(CTRL_SLOTS).buffer as SharedArrayBuffer,
      query: new SharedArrayBuffer(BATCH_ROWS * d * 4),
      out: new SharedArrayBuffer(BATCH_ROWS * sharedRows * 4),
    };
    const pool = await WorkerPool.start<KernelRowsWorkerInit, null, null>(WORKER_SCRIPT, workers, init);
    const serving = Array.from({ length: workers }, (_, k) => pool.run(k, null));
    for (const s of serving) s.catch(() => {}); // read in close(); a failure also shows in the control array
    const ownRef = { data: x.data.subarray(0, ownTo * d), n: ownTo, d };
    const own = new KernelBlock(ownRef, kernel, gamma, { gemm, sparse, centre: centre ?? undefined });
    const blocks = workers > 0 ? chunkBlocks(new Float32Array(shared), chunks, init) : [];
    return new SplitKernelRows(x, own, blocks, chunks, init, pool, serving);
  }

  /** Threads that compute (the main thread and the workers). */
  get threads(): number {
    return this.pool.size + 1;
  }

  compute(rows: ArrayLike<number>, out: Float32Array): void {
    if (this.closed) throw new Error('kernel rows: already closed');
    if (this.failure) throw this.failure;
    const { n, d, data } = this.x;
    const m = rows.length;
    if (m > BATCH_ROWS) throw new Error(`kernel rows: at most ${BATCH_ROWS} rows per block, got ${m}`);
    const { control, chunks } = this;
    const chunkCount = chunks.length - 1;
    const ownTo = this.own.n;
    const sharedRows = n - ownTo;
    const block = ++this.sequence;
    if (this.pool.size > 0) {
      for (let r = 0; r < m; r++) this.query.set(data.subarray(rows[r] * d, rows[r] * d + d), r * d);
      Atomics.store(control, CTRL_ROWS, m);
      Atomics.store(control, CTRL_REQUEST, block);
      Atomics.notify(control, CTRL_REQUEST);
    }
    computeChunk(this.own, this.x, rows, out, n, 0);
    if (this.pool.size === 0) return;
    const first = (block - 1) * chunkCount;
    const mine = claimChunks(control, first, chunkCount, (c) =>
      computeChunk(this.chunkBlocks[c], this.x, rows, out, n, ownTo + chunks[c]),
    );
    try {
      awaitChunks(control, first + chunkCount, 'kernel rows');
    } catch (e) {
      this.failure = e as Error;
      throw e;
    }
    for (let c = 0; c < chunkCount; c++) {
      if (mine.includes(c)) continue;
      for (let r = 0; r < m; r++)
        out.set(
          this.sharedOut.subarray(r * sharedRows + chunks[c], r * sharedRows + chunks[c + 1]),
          r * n + ownTo + chunks[c],
        );
    }
  }

  /** Stop the workers and free the uploaded references; throws a worker's own error when one failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.own.dispose();
    for (const b of this.chunkBlocks) b.dispose();
    Atomics.store(this.control, CTRL_REQUEST, STOP);
    Atomics.notify(this.control, CTRL_REQUEST);
    const settled = await Promise.allSettled(this.serving);
    await this.pool.close();
    const rejected = settled.find((s) => s.status === 'rejected');
    if (rejected) throw (rejected as PromiseRejectedResult).reason;
  }
}
