/**
 * Σ_i α_i k(sv_i, x) for rows of a matrix: the kernel expansion over the support vectors, scored in
 * blocks of rows. One instance keeps its support vectors uploaded (GEMM path) until dispose, so
 * that repeated calls (and the threads of ParallelScorer) do not prepare them again.
 */
import { KernelBlock } from './kernel-block.ts';
import type { KernelName } from './kernel.ts';
import type { Matrix } from './matrix.ts';

/** Samples scored per kernel block (bounds memory to SCORE_BLOCK × nSupport floats). */
const SCORE_BLOCK = 2048;

/** The numbers that define the expansion (structured-clonable, so a worker can receive them). */
export interface SupportExpansion {
  kernel: KernelName;
  gamma: number;
  d: number;
  supportVectors: Float32Array;
  dualCoef: Float64Array;
}

export class SupportScorer {
  private readonly block: KernelBlock;

  constructor(
    readonly expansion: SupportExpansion,
    options: { gemm?: boolean } = {},
  ) {
    const { supportVectors, dualCoef, d } = expansion;
    this.block = new KernelBlock({ data: supportVectors, n: dualCoef.length, d }, expansion.kernel, expansion.gamma, {
      gemm: options.gemm,
    });
  }

  /** Scores of rows [from, to) of x (x.d must equal the expansion's d). */
  score(x: Matrix, from = 0, to = x.n): Float64Array {
    const m = this.expansion.dualCoef.length;
    const coef = this.expansion.dualCoef;
    const out = new Float64Array(to - from);
    const block = new Float32Array(Math.min(SCORE_BLOCK, to - from) * m);
    for (let r0 = from; r0 < to; r0 += SCORE_BLOCK) {
      const r1 = Math.min(to, r0 + SCORE_BLOCK);
      const rows = new Int32Array(r1 - r0);
      for (let r = r0; r < r1; r++) rows[r - r0] = r;
      this.block.compute(x, rows, block);
      for (let r = 0; r < rows.length; r++) {
        let sum = 0;
        const o = r * m;
        for (let j = 0; j < m; j++) sum += coef[j] * block[o + j];
        out[r0 - from + r] = sum;
      }
    }
    return out;
  }

  /** Release the uploaded support vectors (the scorer can still be used: they are uploaded again). */
  dispose(): void {
    this.block.dispose();
  }
}
