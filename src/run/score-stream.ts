/**
 * Scoring in batches: samples read range by range from a SampleSource, their features, then their
 * decision values, so that memory holds one batch whatever the number of samples. Features and
 * scores run on two threads (ParallelExtractor, ParallelScorer) when the work pays for the
 * workers' start-up (run/threads.ts); the numbers are the one-thread numbers either way.
 */
import { batchesOf, type SampleSource } from '../data/sample-source.ts';
import type { FeatureExtractor } from '../features/extractor.ts';
import { ParallelExtractor } from '../features/parallel-extractor.ts';
import type { tf } from '../runtime/runtime.ts';
import type { OneClassSVM } from '../ocsvm/index.ts';
import { ParallelScorer } from '../ocsvm/parallel-scorer.ts';
import { SECONDS_PER_CNN_SAMPLE, SECONDS_PER_KERNEL_PRODUCT, twoThreadsPay, type ThreadChoice } from './threads.ts';

/** Samples per batch: a few MB of pixels, many thousand rows per matrix product. */
export const SCORE_BATCH = 4096;

export interface BatchScorer {
  /** threads that compute features (pixels: none) and scores */
  readonly threads: { features: number; scores: number };
  /** decision values of whole samples x (row-major) */
  decisions(x: Float32Array): Promise<Float64Array>;
  close(): Promise<void>;
}

/**
 * Decision values of `n` samples through `extractor` (over `model`, null for pixels) and `svm`,
 * on two threads where that pays.
 */
export async function startBatchScorer(
  svm: OneClassSVM,
  features: { extractor: FeatureExtractor; model: tf.LayersModel | null },
  n: number,
  choice: ThreadChoice = 'auto',
): Promise<BatchScorer> {
  const scoreSeconds = n * svm.nSupport * svm.d * SECONDS_PER_KERNEL_PRODUCT;
  const featureSeconds = features.model ? n * SECONDS_PER_CNN_SAMPLE : 0;
  const scorer = twoThreadsPay(scoreSeconds, choice) ? await ParallelScorer.start(svm) : null;
  let extractor: ParallelExtractor | null = null;
  try {
    if (features.model && twoThreadsPay(featureSeconds, choice))
      extractor = await ParallelExtractor.start(features.model, { layer: features.extractor.layer ?? undefined });
  } catch (e) {
    await scorer?.close();
    throw e;
  }
  return {
    threads: { features: extractor ? extractor.threads : features.model ? 1 : 0, scores: scorer ? scorer.threads : 1 },
    async decisions(x) {
      const phi = extractor ? await extractor.extract(x) : features.extractor.extract(x);
      const rows = { data: phi, n: phi.length / svm.d, d: svm.d };
      return scorer ? scorer.decisionFunction(rows) : svm.decisionFunction(rows);
    },
    async close() {
      await Promise.all([scorer?.close(), extractor?.close()]);
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
