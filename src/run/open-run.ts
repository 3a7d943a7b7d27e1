/** Reopen a run folder: its description, SVM(s), feature networks (if any), data and scores. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/data-spec.ts';
import { loadModel } from '../features/model-io.ts';
import type { tf } from '../runtime/runtime.ts';
import { Detector } from './detector.ts';
import { FeatureSpace, parseTaps } from './feature-space.ts';
import { SCORES_FILE, readRunConfig, type RunConfig } from './run-config.ts';
import { readScoresCsv, type SampleScore } from './scores-csv.ts';

export interface OpenRun {
  dir: string;
  config: RunConfig;
  /** the fitted SVMs with their feature scaling, in the order of config.models */
  detectors: Detector[];
  scores: SampleScore[];
}

export interface OpenRunWithData extends OpenRun {
  dataset: Dataset;
  /** the feature networks as saved (none for pixel features); the caller disposes them */
  featureModels: tf.LayersModel[];
}

export function openRun(dir: string): OpenRun {
  if (!existsSync(dir))
    throw new UserError(`run folder ${dir} does not exist (make one with 'oc-explain train --out ${dir}')`);
  const config = readRunConfig(dir);
  const detectors = config.models.map((m) => Detector.load(join(dir, m.dir)));
  const scores = readScoresCsv(join(dir, SCORES_FILE));
  if (scores.length !== config.nSamples) {
    throw new UserError(
      `${join(dir, SCORES_FILE)} has ${scores.length} rows but the run has ${config.nSamples} samples: the run folder is inconsistent`,
    );
  }
  return { dir, config, detectors, scores };
}

export async function openRunWithData(dir: string): Promise<OpenRunWithData> {
  const run = openRun(dir);
  const dataset = loadDataset(run.config.data);
  if (dataset.n !== run.config.nSamples) {
    throw new UserError(
      `the data of run ${dir} (${run.config.data}) now has ${dataset.n} samples, not ${run.config.nSamples}: it changed since training`,
    );
  }
  const featureModels: tf.LayersModel[] = [];
  try {
    for (const network of run.config.featureNetworks) featureModels.push(await loadModel(join(dir, network.dir)));
  } catch (e) {
    for (const model of featureModels) model.dispose();
    throw e;
  }
  return { ...run, dataset, featureModels };
}

/** The run's feature space, rebuilt from its networks and layers (the caller disposes it). */
export function runFeatureSpace(run: OpenRunWithData): FeatureSpace {
  const { config } = run;
  if (run.featureModels.length === 0) return FeatureSpace.pixels(config.sampleShape);
  const kinds = config.featureNetworks.map((n) => n.kind);
  const taps = parseTaps(config.featureLayers!.join(','), kinds, []);
  return FeatureSpace.ofModels(run.featureModels, taps, kinds);
}
