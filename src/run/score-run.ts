/**
 * `oc-explain score`: the decision value of every sample of a data set (the run's own, or another
 * with samples of the same size) under a trained run, read and scored in batches so that memory
 * does not grow with the data; with a shard, one slice of the samples, as a partial output for
 * `merge`.
 *
 * Output folder: scores.csv (index,name,label,decision, as train writes it) and score.json (what was
 * scored, how many outliers); a part also holds shard.json.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize } from '../data/dataset.ts';
import { absoluteDataSpec, dataSpecPaths, openSamples, parseDataSpec } from '../data/data-spec.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { openFeatureSpace, openRunModels } from './open-run.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { SCORES_FILE } from './run-config.ts';
import { scoreInBatches, startBatchScorer } from './score-stream.ts';
import { SCORES_HEADER, formatScoreRows } from './scores-csv.ts';
import { SHARD_FILE, formatShardManifest, shardManifest, shardRange, type Shard } from './shard.ts';
import type { ThreadChoice } from './threads.ts';

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
  progress?: Progress;
}

export async function scoreRun(o: ScoreRunOptions): Promise<ScoreSummary & { from: number; to: number }> {
  const progress = o.progress ?? SILENT_PROGRESS;
  const run = openRunModels(o.run);
  const { config } = run;
  if (config.perClass)
    throw new UserError(
      `run ${o.run} has one SVM per class: score ranks samples against one SVM; the run's own scores are in its ${SCORES_FILE}`,
    );
  const { featureModels, space } = await openFeatureSpace(run);
  try {
    const spec = parseDataSpec(o.data ?? config.data);
    return await writeDirAtomic(
      o.out,
      'scores',
      async (dir) => {
        progress.stage(`reading ${o.data ?? config.data}`);
        const source = openSamples(spec);
        if (sampleSize(source) !== sampleSize(config))
          throw new UserError(
            `${source.source} has samples of shape [${source.sampleShape.join(', ')}] (${sampleSize(source)} values), but run ${o.run} was trained on [${config.sampleShape.join(', ')}]`,
          );
        const { from, to } = o.shard ? shardRange(source.n, o.shard) : { from: 0, to: source.n };
        const summary: ScoreSummary = {
          format: SCORE_FORMAT,
          version: 1,
          run: resolve(o.run),
          data: absoluteDataSpec(spec, o.data ?? config.data),
          nSamples: source.n,
          nOutliers: 0,
        };
        const scorer = await startBatchScorer(run.detectors[0], space, to - from, o.threads);
        const fd = openSync(join(dir, SCORES_FILE), 'w');
        try {
          writeSync(fd, `${SCORES_HEADER}\n`);
          const threads = scorer.threads.scores > 1 ? ` on ${scorer.threads.scores} threads` : '';
          await withSteps(progress, `scoring samples ${from}…${to - 1} of ${source.n}${threads}`, to - from, (update) =>
            scoreInBatches(
              source,
              scorer,
              (start, decisions) => {
                for (const v of decisions) if (v < 0) summary.nOutliers++;
                writeSync(fd, formatScoreRows(start, decisions, source));
                update(start + decisions.length - from);
              },
              { from, to, batch: o.batch },
            ),
          );
        } finally {
          closeSync(fd);
          await scorer.close();
        }
        await writeFile(join(dir, SCORE_FILE), formatScoreSummary(summary));
        if (o.shard) {
          const job = { run: summary.run, data: summary.data };
          await writeFile(join(dir, SHARD_FILE), formatShardManifest(shardManifest('score', o.shard, source.n, job)));
        }
        return { ...summary, from, to };
      },
      { inputs: [o.run, ...dataSpecPaths(spec)] },
    );
  } finally {
    space.dispose();
    for (const model of featureModels) model.dispose();
  }
}

export function formatScoreSummary(summary: ScoreSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
