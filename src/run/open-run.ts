/** Reopen a run folder: its description, SVM(s), feature networks (if any), data and scores — checked to fit together. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize } from '../data/dataset.ts';
import { openSamples } from '../data/data-spec.ts';
import { reshapedSource, type SampleSource } from '../data/sample-source.ts';
import { loadModel } from '../features/model-io.ts';
import type { tf } from '../runtime/runtime.ts';
import { modelInputShape } from './feature-model.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';
import { Detector } from './detector.ts';
import { ONNX_MODEL_FILE } from './explainable-model.ts';
import { FeatureSpace, parseTaps } from './feature-space.ts';
import { SCORES_FILE, readRunConfig, type RunConfig } from './run-config.ts';
import { readScoresCsv, type SampleScore } from './scores-csv.ts';

/** What scoring needs of a run: its description and fitted SVMs (not its scores nor its data). */
export interface RunModels {
  dir: string;
  config: RunConfig;
  /** the fitted SVMs with their feature scaling, in the order of config.models */
  detectors: Detector[];
}

export interface OpenRun extends RunModels {
  scores: SampleScore[];
}

/** The feature networks of a run in the order of config.featureNetworks (none for pixel features); the caller disposes them. */
export type FeatureModels = Array<tf.LayersModel | ExplainableNetwork>;

export interface OpenRunWithData extends OpenRun {
  /**
   * the data, its samples shaped as the run was trained (CSV rows may be images), read on demand:
   * CSV files and PNG folders are never held whole
   */
  dataset: SampleSource;
  /** tfjs models, or ONNX files read as explainable networks */
  featureModels: FeatureModels;
  /** the feature map the SVMs see, built from featureModels and the run's layers */
  space: FeatureSpace;
}

const mismatch = (dir: string, what: string) =>
  new UserError(`the files of run ${dir} do not fit together: ${what} (was a file replaced? train the run again)`);

/** The run's description and SVMs, checked to fit together. */
export function openRunModels(dir: string): RunModels {
  if (!existsSync(dir))
    throw new UserError(`run folder ${dir} does not exist (make one with 'oc-explain train --out ${dir}')`);
  const config = readRunConfig(dir);
  const detectors = config.models.map((m) => Detector.load(join(dir, m.dir)));
  detectors.forEach((detector, k) => {
    if (detector.svm.d !== config.featureDim)
      throw mismatch(
        dir,
        `the SVM in ${config.models[k].dir} was fitted on ${detector.svm.d} features, config.json names ${config.featureDim}`,
      );
  });
  return { dir, config, detectors };
}

export function openRun(dir: string): OpenRun {
  const run = openRunModels(dir);
  const scores = readScoresCsv(join(dir, SCORES_FILE));
  if (scores.length !== run.config.nSamples)
    throw mismatch(dir, `${SCORES_FILE} has ${scores.length} rows but the run has ${run.config.nSamples} samples`);
  return { ...run, scores };
}

/** A feature network of the run: an ONNX file when the folder holds one, else a tfjs layers model. */
async function loadFeatureModel(dir: string, config: RunConfig): Promise<tf.LayersModel | ExplainableNetwork> {
  const onnx = join(dir, ONNX_MODEL_FILE);
  if (existsSync(onnx)) return readOnnxNetwork(onnx);
  const model = await loadModel(dir);
  const inputSize = modelInputShape(model, dir).reduce((a, b) => a * b, 1);
  if (inputSize !== sampleSize(config)) {
    model.dispose();
    throw mismatch(dir, `${dir} takes ${inputSize} values per sample, the run's samples have ${sampleSize(config)}`);
  }
  return model;
}

/**
 * The run's feature networks and the feature space built from them, checked to give the features
 * its SVMs were fitted on (the caller disposes both).
 */
export async function openFeatureSpace(run: RunModels): Promise<{ featureModels: FeatureModels; space: FeatureSpace }> {
  const { dir, config } = run;
  const featureModels: FeatureModels = [];
  try {
    for (const network of config.featureNetworks)
      featureModels.push(await loadFeatureModel(join(dir, network.dir), config));
    const space = runFeatureSpace(config, featureModels);
    if (space.dim !== config.featureDim) {
      space.dispose();
      throw mismatch(
        dir,
        `the feature networks give ${space.dim} features, the SVM was fitted on ${config.featureDim}`,
      );
    }
    return { featureModels, space };
  } catch (e) {
    for (const model of featureModels) model.dispose();
    if (e instanceof UserError && !e.message.includes('do not fit together')) throw mismatch(dir, e.message);
    throw e;
  }
}

export async function openRunWithData(dir: string): Promise<OpenRunWithData> {
  const run = openRun(dir);
  const loaded = openSamples(run.config.data);
  if (loaded.n !== run.config.nSamples || sampleSize(loaded) !== sampleSize(run.config)) {
    throw new UserError(
      `the data of run ${dir} (${run.config.data}) now has ${loaded.n} samples of shape [${loaded.sampleShape.join(', ')}], not ${run.config.nSamples} of shape [${run.config.sampleShape.join(', ')}]: it changed since training`,
    );
  }
  const dataset = reshapedSource(loaded, run.config.sampleShape);
  return { ...run, dataset, ...(await openFeatureSpace(run)) };
}

/** The run's feature space, rebuilt from its networks and layers. */
function runFeatureSpace(config: RunConfig, featureModels: FeatureModels): FeatureSpace {
  if (featureModels.length === 0) return FeatureSpace.pixels(config.sampleShape);
  const kinds = config.featureNetworks.map((n) => n.kind);
  const taps = parseTaps(config.featureLayers!.join(','), kinds, []);
  return FeatureSpace.ofModels(featureModels, taps, kinds);
}
