/**
 * Worker thread of ParallelScorer (parallel-scorer.ts): keeps the support vectors, α and γ it is
 * given once, then claims and scores chunks of every batch it is told of, into shared memory.
 */
import { claimChunks } from '../runtime/chunk-claims.ts';
import { serveWorker } from '../runtime/worker-pool.ts';
import { SCORE_CHUNK, scoreChunk, type ScoreJob, type ScorerWorkerInit } from './parallel-scorer.ts';
import { SupportScorer } from './support-scorer.ts';

let scorer: SupportScorer | null = null;
let control: Int32Array | null = null;

serveWorker<ScorerWorkerInit, ScoreJob, null>('scorer', {
  init(init) {
    scorer?.dispose();
    scorer = new SupportScorer(init.expansion, { gemm: init.gemm });
    control = new Int32Array(init.control);
    // warm-up: uploads the support vectors and lets the backend set up its product (start-up cost, not scoring)
    scorer.score({ data: new Float32Array(init.expansion.d), n: 1, d: init.expansion.d });
  },
  run(job) {
    const d = scorer!.expansion.d;
    const x = { data: new Float32Array(job.x), n: job.rows, d };
    const out = new Float64Array(job.out);
    claimChunks(control!, job.first, Math.ceil(job.rows / SCORE_CHUNK), (c) => scoreChunk(scorer!, x, out, c));
    return { result: null, transfer: [] };
  },
});
