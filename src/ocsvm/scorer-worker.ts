/**
 * Worker thread of ParallelScorer (parallel-scorer.ts): keeps the support vectors, α and γ it is
 * given once, then scores the rows it is sent and posts the scores back.
 */
import { serveWorker } from '../runtime/worker-pool.ts';
import type { ScoreJob, ScorerWorkerInit } from './parallel-scorer.ts';
import { SupportScorer } from './support-scorer.ts';

let scorer: SupportScorer | null = null;

serveWorker<ScorerWorkerInit, ScoreJob, Float64Array>('scorer', {
  init({ expansion, gemm }) {
    scorer?.dispose();
    scorer = new SupportScorer(expansion, { gemm });
    // warm-up: uploads the support vectors and lets the backend set up its product (start-up cost, not scoring)
    scorer.score({ data: new Float32Array(expansion.d), n: 1, d: expansion.d });
  },
  run(job) {
    const scores = scorer!.score({ data: job.x, n: job.rows, d: scorer!.expansion.d });
    return { result: scores, transfer: [scores.buffer as ArrayBuffer] };
  },
});
