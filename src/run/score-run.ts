/**
 * `oc-explain score`: the decision value of every sample of a data set (the run's own, or another
 * with samples of the same size) under a trained run, read and scored in batches so that memory
 * does not grow with the data; with a shard, one slice of the samples, as a partial output for
 * `merge`.
 *
 * Output folder: scores.csv (index,label,decision, as train writes it) and score.json (what was
 * scored, how many outliers); a part also holds shard.json.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize } from '../data/dataset.ts';
import { absoluteDataSpec, dataSpecPaths, openSamples, parseDataSpec } from '../data/data-spec.ts';
import { networkExtractor, pixelExtractor } from '../features/extractor.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { ONNX_MODEL_FILE, explainableExtractor } from './explainable-model.ts';
import { openRunModel } from './open-run.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { FEATURES_DIR, SCORES_FILE } from './run-config.ts';
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
  const { config, svm, featureModel: model } = await openRunModel(o.run);
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
        const layer = config.featureLayer ?? undefined;
        const extractor =
          model instanceof ExplainableNetwork
            ? explainableExtractor(model, { layer, label: `${FEATURES_DIR}/${ONNX_MODEL_FILE}` })
            : model
              ? networkExtractor(model, { layer })
              : pixelExtractor(config.sampleShape);
        const summary: ScoreSummary = {
          format: SCORE_FORMAT,
          version: 1,
          run: resolve(o.run),
          data: absoluteDataSpec(spec, o.data ?? config.data),
          nSamples: source.n,
          nOutliers: 0,
        };
        const scorer = await startBatchScorer(
          svm,
          // an ONNX network's features stay on this thread (the feature worker runs tfjs models)
          { extractor, model: model instanceof ExplainableNetwork ? null : model },
          to - from,
          o.threads,
        );
        const fd = openSync(join(dir, SCORES_FILE), 'w');
        try {
          writeSync(fd, SCORES_HEADER);
          const threads = scorer.threads.scores > 1 ? ` on ${scorer.threads.scores} threads` : '';
          await withSteps(progress, `scoring samples ${from}…${to - 1} of ${source.n}${threads}`, to - from, (update) =>
            scoreInBatches(
              source,
              scorer,
              (start, decisions) => {
                for (const v of decisions) if (v < 0) summary.nOutliers++;
                writeSync(fd, formatScoreRows(start, decisions, source.labels, source.classNames));
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
    model?.dispose();
  }
}

export function formatScoreSummary(summary: ScoreSummary): string {
  return JSON.stringify(summary, null, 2) + '\n';
}
