/**
 * Worker thread of SplitKernelRows (split-kernel-rows.ts): holds the shared range of reference rows
 * in chunks and, until told to stop, claims and computes chunks of every block of query rows that
 * the main thread posts in shared memory.
 */
import { FAILED, FINISHED, claimChunks } from '../runtime/chunk-claims.ts';
import { serveWorker } from '../runtime/worker-pool.ts';
import type { KernelBlock } from './kernel-block.ts';
import {
  CTRL_REQUEST,
  CTRL_ROWS,
  STOP,
  chunkBlocks,
  computeChunk,
  type KernelRowsWorkerInit,
} from './split-kernel-rows.ts';

let setup: KernelRowsWorkerInit | null = null;
let blocks: KernelBlock[] = [];

serveWorker<KernelRowsWorkerInit, null, null>('kernel rows', {
  init(init) {
    setup = init;
    blocks = chunkBlocks(new Float32Array(init.shared), init.chunks, init);
  },
  /** The serving loop: returns when the main thread asks it to stop. */
  run() {
    const { d, chunks } = setup!;
    const chunkCount = chunks.length - 1;
    const control = new Int32Array(setup!.control);
    const query = new Float32Array(setup!.query);
    const out = new Float32Array(setup!.out);
    const sharedRows = chunks[chunkCount];
    try {
      let seen = 0;
      for (;;) {
        Atomics.wait(control, CTRL_REQUEST, seen);
        const block = Atomics.load(control, CTRL_REQUEST);
        if (block === STOP) break;
        if (block === seen) continue;
        seen = block;
        const m = Atomics.load(control, CTRL_ROWS);
        const q = { data: query.subarray(0, m * d), n: m, d };
        const rows = Int32Array.from({ length: m }, (_, r) => r);
        claimChunks(control, (block - 1) * chunkCount, chunkCount, (c) =>
          computeChunk(blocks[c], q, rows, out, sharedRows, chunks[c]),
        );
      }
    } catch (e) {
      Atomics.store(control, FAILED, 1); // the main thread may be waiting for a chunk
      Atomics.notify(control, FINISHED);
      throw e;
    } finally {
      for (const b of blocks) b.dispose();
    }
    return { result: null, transfer: [] };
  },
});
