/**
 * Rows of the training kernel matrix Q (full length n, float32), computed on demand by a RowSource
 * in batches and kept in a least-recently-used cache of bounded size. When the whole matrix fits
 * in the budget nothing is ever evicted.
 */
import { freemem } from 'node:os';
import type { KernelBlock } from './kernel-block.ts';
import type { Matrix } from './matrix.ts';

/** Rows computed together when several are requested at once (one pass over the data). */
export const BATCH_ROWS = 64;

/** Computes rows of Q: out[r·n + j] = k(x_rows[r], x_j) for r < rows.length (at most BATCH_ROWS rows). */
export interface RowSource {
  readonly n: number;
  compute(rows: ArrayLike<number>, out: Float32Array): void;
}

/** Rows of Q from a kernel block over the training data itself, on this thread. */
export function blockRows(block: KernelBlock, x: Matrix): RowSource {
  return { n: x.n, compute: (rows, out) => block.compute(x, rows, out) };
}

/** The cache's floor when memory is short: the solver still runs, recomputing rows more often. */
const MIN_CACHE_BYTES = 64 * 2 ** 20;

/**
 * Half the memory available now (the cgroup limit counts in a container), never more than the
 * whole matrix (n² floats) nor less than 64 MB.
 */
export function defaultCacheBytes(n: number): number {
  const available = typeof process.availableMemory === 'function' ? process.availableMemory() : freemem();
  return Math.max(MIN_CACHE_BYTES, Math.min(available / 2, 4 * n * n));
}

export class RowCache {
  private readonly rows = new Map<number, Float32Array>();
  readonly capacity: number;
  /** rows computed so far (a measure of kernel work) */
  computed = 0;

  constructor(
    private readonly source: RowSource,
    budgetBytes: number,
  ) {
    this.capacity = Math.max(2, Math.floor(budgetBytes / (4 * source.n)));
  }

  get n(): number {
    return this.source.n;
  }

  has(i: number): boolean {
    return this.rows.has(i);
  }

  /** Row i; the returned array stays valid even if the cache later drops it. */
  get(i: number): Float32Array {
    const hit = this.rows.get(i);
    if (hit) {
      this.rows.delete(i);
      this.rows.set(i, hit);
      return hit;
    }
    const out = new Float32Array(this.n);
    this.source.compute([i], out);
    out[i] = 1; // k(x, x) = 1 exactly, whatever the float32 product's rounding
    this.computed++;
    this.store(i, out);
    return out;
  }

  /**
   * Visit the rows `idx` (computing missing ones in batches), e.g. to initialise the gradient.
   * Computed rows enter the cache (evicting the least recently used when full).
   */
  forEach(idx: ArrayLike<number>, visit: (i: number, row: Float32Array) => void): void {
    const n = this.n;
    const missing: number[] = [];
    for (let t = 0; t < idx.length; t++) {
      const hit = this.rows.get(idx[t]);
      if (hit) visit(idx[t], hit);
      else missing.push(idx[t]);
    }
    const buf = new Float32Array(Math.min(BATCH_ROWS, missing.length) * n);
    for (let s = 0; s < missing.length; s += BATCH_ROWS) {
      const batch = missing.slice(s, s + BATCH_ROWS);
      this.source.compute(batch, buf);
      this.computed += batch.length;
      for (let r = 0; r < batch.length; r++) {
        const row = buf.slice(r * n, r * n + n);
        row[batch[r]] = 1;
        this.store(batch[r], row);
        visit(batch[r], row);
      }
    }
  }

  private store(i: number, row: Float32Array): void {
    if (this.rows.size >= this.capacity) {
      const oldest = this.rows.keys().next().value as number;
      this.rows.delete(oldest);
    }
    this.rows.set(i, row);
  }
}
