/** Reopen a run folder: its description, SVM, feature network (if any), data and scores — checked to fit together. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/data-spec.ts';
import { loadModel } from '../features/model-io.ts';
import { tf } from '../runtime/runtime.ts';
import { OneClassSVM } from '../ocsvm/index.ts';
import { modelInputShape } from './feature-model.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';
import { ONNX_MODEL_FILE } from './explainable-model.ts';
import { FEATURES_DIR, OCSVM_FILE, SCORES_FILE, readRunConfig, type RunConfig } from './run-config.ts';
import { readScoresCsv, type SampleScore } from './scores-csv.ts';

export interface OpenRun {
  dir: string;
  config: RunConfig;
  svm: OneClassSVM;
  scores: SampleScore[];
}

export interface OpenRunWithData extends OpenRun {
  /** the data, its samples shaped as the run was trained (CSV rows may be images) */
  dataset: Dataset;
  /** the feature network (null for pixel features): a tfjs model, or an ONNX file read as an explainable network; the caller disposes it */
  featureModel: tf.LayersModel | ExplainableNetwork | null;
}

const mismatch = (dir: string, what: string) =>
  new UserError(`the files of run ${dir} do not fit together: ${what} (was a file replaced? train the run again)`);

export function openRun(dir: string): OpenRun {
  if (!existsSync(dir))
    throw new UserError(`run folder ${dir} does not exist (make one with 'oc-explain train --out ${dir}')`);
  const config = readRunConfig(dir);
  const svm = OneClassSVM.load(join(dir, OCSVM_FILE));
  const scores = readScoresCsv(join(dir, SCORES_FILE));
  if (scores.length !== config.nSamples)
    throw mismatch(dir, `${SCORES_FILE} has ${scores.length} rows but the run has ${config.nSamples} samples`);
  if (svm.d !== config.featureDim)
    throw mismatch(dir, `${OCSVM_FILE} was fitted on ${svm.d} features, config.json names ${config.featureDim}`);
  return { dir, config, svm, scores };
}

/** The feature network must take the run's samples and give its features at the recorded layer. */
function checkFeatureModel(dir: string, config: RunConfig, model: tf.LayersModel): void {
  const label = `${FEATURES_DIR}/ network`;
  const inputSize = modelInputShape(model, label).reduce((a, b) => a * b, 1);
  if (inputSize !== sampleSize(config))
    throw mismatch(
      dir,
      `the ${label} takes ${inputSize} values per sample, the run's samples have ${sampleSize(config)}`,
    );
  const layer = model.layers.find((l) => l.name === config.featureLayer);
  if (!layer) throw mismatch(dir, `the ${label} has no layer '${config.featureLayer}'`);
  const dim = (layer.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
  if (dim !== config.featureDim)
    throw mismatch(
      dir,
      `layer '${config.featureLayer}' of the ${label} gives ${dim} features, the SVM was fitted on ${config.featureDim}`,
    );
}

/** The same checks for an ONNX feature network read as an explainable network. */
function checkFeatureNetwork(dir: string, config: RunConfig, network: ExplainableNetwork): void {
  const label = `${FEATURES_DIR}/${ONNX_MODEL_FILE}`;
  const inputSize = network.inputShape.reduce((a, b) => a * b, 1);
  if (inputSize !== sampleSize(config))
    throw mismatch(dir, `${label} takes ${inputSize} values per sample, the run's samples have ${sampleSize(config)}`);
  if (network.indexOf(config.featureLayer!) < 0) throw mismatch(dir, `${label} has no layer '${config.featureLayer}'`);
  const features = network.upTo(config.featureLayer!);
  const dim = tf.tidy(() => features.forward(tf.zeros([1, ...network.inputShape])).size);
  if (dim !== config.featureDim)
    throw mismatch(
      dir,
      `layer '${config.featureLayer}' of ${label} gives ${dim} features, the SVM was fitted on ${config.featureDim}`,
    );
}

export async function openRunWithData(dir: string): Promise<OpenRunWithData> {
  const run = openRun(dir);
  const loaded = loadDataset(run.config.data);
  if (loaded.n !== run.config.nSamples || sampleSize(loaded) !== sampleSize(run.config)) {
    throw new UserError(
      `the data of run ${dir} (${run.config.data}) now has ${loaded.n} samples of shape [${loaded.sampleShape.join(', ')}], not ${run.config.nSamples} of shape [${run.config.sampleShape.join(', ')}]: it changed since training`,
    );
  }
  const dataset = { ...loaded, sampleShape: [...run.config.sampleShape] };
  if (!run.config.featureNetwork) return { ...run, dataset, featureModel: null };
  const onnx = join(dir, FEATURES_DIR, ONNX_MODEL_FILE);
  if (existsSync(onnx)) {
    const network = readOnnxNetwork(onnx);
    try {
      checkFeatureNetwork(dir, run.config, network);
    } catch (e) {
      network.dispose();
      throw e;
    }
    return { ...run, dataset, featureModel: network };
  }
  const featureModel = await loadModel(join(dir, FEATURES_DIR));
  try {
    checkFeatureModel(dir, run.config, featureModel);
  } catch (e) {
    featureModel.dispose();
    throw e;
  }
  return { ...run, dataset, featureModel };
}
