/** Reopen a run folder: its description, SVM, feature network (if any), data and scores — checked to fit together. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize } from '../data/dataset.ts';
import { openSamples } from '../data/data-spec.ts';
import { reshapedSource, type SampleSource } from '../data/sample-source.ts';
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

/** A run's feature network: a tfjs model, an ONNX file read as an explainable network, or none (pixels). */
export type FeatureModel = tf.LayersModel | ExplainableNetwork | null;

export interface OpenRunWithData extends OpenRun {
  /**
   * the data, its samples shaped as the run was trained (CSV rows may be images), read on demand:
   * CSV files and PNG folders are never held whole
   */
  dataset: SampleSource;
  /** the feature network (null for pixel features): a tfjs model, or an ONNX file read as an explainable network; the caller disposes it */
  featureModel: FeatureModel;
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

/** The run's feature network (null for pixel features), checked against its description. */
async function openFeatureModel(dir: string, config: RunConfig): Promise<FeatureModel> {
  if (!config.featureNetwork) return null;
  const onnx = join(dir, FEATURES_DIR, ONNX_MODEL_FILE);
  if (existsSync(onnx)) {
    const network = readOnnxNetwork(onnx);
    try {
      checkFeatureNetwork(dir, config, network);
    } catch (e) {
      network.dispose();
      throw e;
    }
    return network;
  }
  const featureModel = await loadModel(join(dir, FEATURES_DIR));
  try {
    checkFeatureModel(dir, config, featureModel);
  } catch (e) {
    featureModel.dispose();
    throw e;
  }
  return featureModel;
}

/**
 * What scoring new samples needs of a run, and no more (not its scores nor its data): the
 * description, the SVM and the feature network (null for pixels; the caller disposes it), checked
 * to fit together.
 */
export async function openRunModel(
  dir: string,
): Promise<{ config: RunConfig; svm: OneClassSVM; featureModel: FeatureModel }> {
  if (!existsSync(dir))
    throw new UserError(`run folder ${dir} does not exist (make one with 'oc-explain train --out ${dir}')`);
  const config = readRunConfig(dir);
  const svm = OneClassSVM.load(join(dir, OCSVM_FILE));
  if (svm.d !== config.featureDim)
    throw mismatch(dir, `${OCSVM_FILE} was fitted on ${svm.d} features, config.json names ${config.featureDim}`);
  return { config, svm, featureModel: await openFeatureModel(dir, config) };
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
  return { ...run, dataset, featureModel: await openFeatureModel(dir, run.config) };
}
