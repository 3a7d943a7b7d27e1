/**
 * Scoring in batches: samples read range by range from a SampleSource, their features, then their
 * decision values, so that memory holds one batch whatever the number of samples. The scores run
 * on two threads (ParallelScorer) when the work pays for the worker's start-up (run/threads.ts);
 * the numbers are the one-thread numbers either way.
 */
import { batchesOf, type SampleSource } from '../data/sample-source.ts';
import type { Detector } from './detector.ts';
import type { FeatureSpace } from './feature-space.ts';
import type { ThreadChoice } from './threads.ts';

/** Samples per batch: a few MB of pixels, many thousand rows per matrix product. */
export const SCORE_BATCH = 4096;

export interface BatchScorer {
  /** threads that compute the scores */
  readonly threads: { scores: number };
  /** decision values of whole samples x (row-major) */
  decisions(x: Float32Array): Promise<Float64Array>;
  close(): Promise<void>;
}

/** Decision values of `n` samples through the feature `space` and `detector`, on two threads where that pays. */
export async function startBatchScorer(
  detector: Detector,
  space: FeatureSpace,
  n: number,
  choice: ThreadChoice = 'auto',
): Promise<BatchScorer> {
  const scorer = await detector.scorerFor(n, choice);
  return {
    threads: { scores: scorer ? scorer.threads : 1 },
    decisions: (x) => detector.decision(space.extract(x), space.dim, scorer),
    async close() {
      await scorer?.close();
    },
  };
}

/** Score samples [from, to) of `source` batch by batch, handing each batch's decision values to `onBatch` in order. */
export async function scoreInBatches(
  source: SampleSource,
  scorer: BatchScorer,
  onBatch: (from: number, decisions: Float64Array) => void | Promise<void>,
  range: { from?: number; to?: number; batch?: number } = {},
): Promise<void> {
  for (const b of batchesOf(source, range.batch ?? SCORE_BATCH, range.from, range.to))
    await onBatch(b.from, await scorer.decisions(b.x));
}
