/**
 * Kernel rows on several threads (SplitKernelRows, OneClassSVM.fitParallel) are those of one
 * thread, bit for bit: the rows themselves, and the α's and ρ the solver finds with them (held to
 * the one-thread solutions in test/fixtures/ocsvm-solver-snapshot.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM, resolveGamma } from '../src/ocsvm/index.ts';
import { KernelBlock } from '../src/ocsvm/kernel-block.ts';
import { SplitKernelRows } from '../src/ocsvm/split-kernel-rows.ts';
import { loadMnistPixels } from './support/mnist-pixels.ts';
import { SOLVER_CASES } from './support/solver-cases.ts';

interface Snapshot {
  name: string;
  rho: number;
  iterations: number;
  supportIndices: number[];
  dualCoef: number[];
}
const snapshot = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'ocsvm-solver-snapshot.json'), 'utf8')) as {
    cases: Snapshot[];
  }
).cases;

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('kernel rows on several threads', () => {
  {
    const gemm = true;
    it('3 threads compute the rows of one, bit for bit (float32 GEMM path)', async () => {
      // 3 threads: the main thread's own 1,500 columns and 2 shared chunks of about 1,500 (not all equal)
      const x = loadMnistPixels(4501);
      const gamma = resolveGamma('scale', x);
      const block = new KernelBlock(x, 'rbf', gamma, { gemm });
      const split = await SplitKernelRows.start(x, 'rbf', gamma, { gemm, workers: 2 });
      try {
        expect(split.threads).toBe(3);
        for (const rows of [[4500], [5, 0, 4499, 3000], Array.from({ length: 64 }, (_, r) => (r * 97) % 4501)]) {
          const want = new Float32Array(rows.length * x.n);
          block.compute(x, rows, want);
          const got = new Float32Array(rows.length * x.n);
          split.compute(rows, got);
          expect(Array.from(got)).toEqual(Array.from(want));
        }
      } finally {
        block.dispose();
        await split.close();
      }
    });
  }

  // the JS paths (dense with evictions, sparse) and the GEMM path, each on 2 threads
  const cases = SOLVER_CASES.filter((c) => /GEMM|sparse|cache/.test(c.name));
  for (const c of cases) {
    it(`fitParallel finds fit's α and ρ: ${c.name}`, async () => {
      const want = snapshot.find((s) => s.name === c.name)!;
      const svm = await new OneClassSVM({ gamma: 'scale', gemm: false, ...c.options }).fitParallel(c.data());
      expect(svm.rho).toBe(want.rho);
      expect(svm.iterations).toBe(want.iterations);
      expect(Array.from(svm.supportIndices)).toEqual(want.supportIndices);
      expect(Array.from(svm.dualCoef)).toEqual(want.dualCoef);
    });
  }
});
