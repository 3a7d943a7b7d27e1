/**
 * A run folder: what `oc-explain train` writes and every later command reads.
 *   config.json   this description (versioned)
 *   ocsvm.json    the fitted one-class SVM
 *   features/     the feature network (model.json + weights.bin), when the features come from one
 *   scores.csv    index,label,decision for every sample
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export const RUN_FORMAT = 'oc-explain-run';
export const RUN_VERSION = 1;

export const CONFIG_FILE = 'config.json';
export const OCSVM_FILE = 'ocsvm.json';
export const FEATURES_DIR = 'features';
export const SCORES_FILE = 'scores.csv';

export interface RunConfig {
  format: typeof RUN_FORMAT;
  version: number;
  createdAt: string;
  backend: string;
  seed: number;
  /** data spec with paths made absolute, so the run can reload the same samples */
  data: string;
  nSamples: number;
  sampleShape: number[];
  classNames: string[];
  /** 'pixels', 'cnn', 'mlp' or 'model:PATH' as given */
  features: string;
  /** layer whose activations are the features (null for pixels) */
  featureLayer: string | null;
  featureDim: number;
  featureNetwork: { kind: string; epochs: number | null; heldOutAccuracy: number | null; trainSeconds: number } | null;
  /** class names trained as normal (the rest are anomalies), or null when the SVM saw every sample */
  normal: string[] | null;
  svm: {
    kernel: string;
    nu: number;
    gammaOption: string | number;
    gamma: number;
    rho: number;
    nFit: number;
    /** --max-train: the SVM was fitted on a seeded class-stratified subsample of this many candidates (see fit-sample.ts); null: on all */
    maxTrain: number | null;
    nSupport: number;
    fitSeconds: number;
    /** outlierness threshold θ = −(1/γ) log(ρ/(νl)): o(x) > θ ⇔ outlier */
    threshold: number;
  };
  /** ROC AUC of −decision for 'not normal', when labels and a normal set exist */
  rocAuc: number | null;
  nOutliers: number;
}

export function readRunConfig(dir: string): RunConfig {
  const path = join(dir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw new UserError(
      `${dir} is not a run folder: ${CONFIG_FILE} is missing (make one with 'oc-explain train --out ${dir}')`,
    );
  }
  let config: RunConfig;
  try {
    config = JSON.parse(readFileSync(path, 'utf8')) as RunConfig;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (config?.format !== RUN_FORMAT)
    throw new UserError(`${path} is not an oc-explain run description (format '${String(config?.format)}')`);
  if (config.version !== RUN_VERSION) {
    throw new UserError(
      `${path} has run format version ${String(config.version)}; this oc-explain reads version ${RUN_VERSION} (train the run again)`,
    );
  }
  return config;
}
