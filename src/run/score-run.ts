/**
 * `oc-explain score`: the decision value of every sample of a data set (the run's own, or another
 * with the same sample shape) under a trained run, read and scored in batches so that memory does
 * not grow with the data; with a shard, one slice of the samples as a partial output for `merge`.
 *
 * Output folder: scores.csv (index,label,decision, as train writes it) and score.json (what was
 * scored, how many outliers); a part also holds shard.json.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { openSamples, parseDataSpec } from '../data/data-spec.ts';
import type { SampleSource } from '../data/sample-source.ts';
import { networkExtractor, pixelExtractor } from '../features/extractor.ts';
import { loadModel } from '../features/model-io.ts';
import { OneClassSVM } from '../ocsvm/index.ts';
import { assertReplaceable, writeDirAtomic } from '../io/atomic-write.ts';
import { FEATURES_DIR, OCSVM_FILE, readRunConfig } from './run-config.ts';
import { scoreInBatches, startBatchScorer } from './score-stream.ts';
import { SCORES_HEADER, formatScoreRows } from './scores-csv.ts';
import { SCORES_FILE } from './run-config.ts';
import { SHARD_FILE, formatShardManifest, shardManifest, shardRange, type Shard } from './shard.ts';
import type { ThreadChoice } from './threads.ts';
import { absoluteDataSpec } from './train-run.ts';

export const SCORE_FILE = 'score.json';
export const SCORE_FORMAT = 'oc-explain-scores';

export interface ScoreSummary {
  format: typeof SCORE_FORMAT;
  version: 1;
  /** the run folder, absolute */
  run: string;
  /** the data spec, paths absolute */
  data: string;
  nSamples: number;
  /** samples in this output with a negative decision value */
  nOutliers: number;
}

export interface ScoreRunOptions {
  run: string;
  /** data spec (default: the run's own data) */
  data?: string;
  out: string;
  shard?: Shard;
  threads?: ThreadChoice;
  batch?: number;
  log?: (line: string) => void;
}

export async function scoreRun(o: ScoreRunOptions): Promise<ScoreSummary & { from: number; to: number }> {
  const log = o.log ?? (() => undefined);
  assertReplaceable(o.out, SCORE_FILE);
  const config = readRunConfig(o.run);
  const svm = OneClassSVM.load(join(o.run, OCSVM_FILE));
  const spec = o.data ?? config.data;
  const source = openSamples(spec);
  checkShape(source, config.sampleShape, o.run);
  const { from, to } = o.shard ? shardRange(source.n, o.shard) : { from: 0, to: source.n };
  const model = config.featureNetwork ? await loadModel(join(o.run, FEATURES_DIR)) : null;
  try {
    const extractor = model
      ? networkExtractor(model, { layer: config.featureLayer ?? undefined })
      : pixelExtractor(source.sampleShape);
    const scorer = await startBatchScorer(svm, { extractor, model }, to - from, o.threads);
    const summary: ScoreSummary = {
      format: SCORE_FORMAT,
      version: 1,
      run: resolve(o.run),
      data: absoluteDataSpec(parseDataSpec(spec), spec),
      nSamples: source.n,
      nOutliers: 0,
    };
    try {
      log(
        `scoring samples ${from}…${to - 1} of ${source.source} (${to - from} of ${source.n}) on ${scorer.threads.scores} thread(s)`,
      );
      await writeDirAtomic(o.out, SCORE_FILE, async (dir) => {
        const fd = openSync(join(dir, SCORES_FILE), 'w');
        try {
          writeSync(fd, SCORES_HEADER);
          await scoreInBatches(
            source,
            scorer,
            (start, decisions) => {
              for (const v of decisions) if (v < 0) summary.nOutliers++;
              writeSync(fd, formatScoreRows(start, decisions, source.labels, source.classNames));
            },
            { from, to, batch: o.batch },
          );
        } finally {
          closeSync(fd);
        }
        await writeFile(join(dir, SCORE_FILE), formatScoreSummary(summary));
        if (o.shard) {
          const job = { run: summary.run, data: summary.data };
          await writeFile(join(dir, SHARD_FILE), formatShardManifest(shardManifest('score', o.shard, source.n, job)));
        }
      });
    } finally {
      await scorer.close();
    }
    return { ...summary, from, to };
  } finally {
    model?.dispose();
  }
}

export function formatScoreSummary(summary: ScoreSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}

function checkShape(source: SampleSource, shape: number[], run: string): void {
  if (source.sampleShape.join('x') !== shape.join('x'))
    throw new UserError(
      `${source.source} has samples of shape [${source.sampleShape.join(', ')}], but run ${run} was trained on [${shape.join(', ')}]`,
    );
}
