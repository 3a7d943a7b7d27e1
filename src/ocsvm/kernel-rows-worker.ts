/**
 * Worker thread of SplitKernelRows (split-kernel-rows.ts): holds its columns of the kernel
 * matrix (a range of reference rows) and, until told to stop, computes them for every block of
 * query rows that the main thread posts in shared memory.
 */
import { serveWorker } from '../runtime/worker-pool.ts';
import { KernelBlock } from './kernel-block.ts';
import {
  CTRL_DONE,
  CTRL_REQUEST,
  CTRL_ROWS,
  FAILED,
  STOP,
  type KernelRowsJob,
  type KernelRowsWorkerInit,
} from './split-kernel-rows.ts';

let setup: KernelRowsWorkerInit | null = null;

serveWorker<KernelRowsWorkerInit, KernelRowsJob, null>('kernel rows', {
  init(init) {
    setup = init;
  },
  run(job) {
    const { kernel, gamma, d, gemm, sparse, centre } = setup!;
    const control = new Int32Array(job.control);
    const query = new Float32Array(job.query);
    const out = new Float32Array(job.out);
    const block = new KernelBlock({ data: job.ref, n: job.rows, d }, kernel, gamma, {
      gemm,
      sparse,
      centre: centre ?? undefined,
    });
    try {
      let seen = 0;
      for (;;) {
        Atomics.wait(control, CTRL_REQUEST, seen);
        const seq = Atomics.load(control, CTRL_REQUEST);
        if (seq === STOP) break;
        if (seq === seen) continue;
        seen = seq;
        const m = Atomics.load(control, CTRL_ROWS);
        const identity = Int32Array.from({ length: m }, (_, r) => r);
        block.compute({ data: query.subarray(0, m * d), n: m, d }, identity, out);
        Atomics.store(control, CTRL_DONE, seq);
        Atomics.notify(control, CTRL_DONE);
      }
    } catch (e) {
      Atomics.store(control, CTRL_DONE, FAILED);
      Atomics.notify(control, CTRL_DONE);
      throw e;
    } finally {
      block.dispose();
    }
    return { result: null, transfer: [] };
  },
});
