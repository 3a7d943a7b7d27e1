/**
 * A run folder: what `oc-explain train` writes and every later command reads.
 *   config.json          this description (versioned)
 *   ocsvm.json           the fitted one-class SVM (+ standardization.json, the feature scaling);
 *                        with --per-class one folder per class instead: classes/<k>/ocsvm.json …
 *   features/            the feature network (model.json + weights.bin), when the features come
 *                        from one; features-<kind>/ for each of several networks
 *   scores.csv           index,name,label,decision for every sample
 *   test-scores.csv      the same for the held-out samples of --test
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export const RUN_FORMAT = 'oc-explain-run';
export const RUN_VERSION = 2;

export const CONFIG_FILE = 'config.json';
export const FEATURES_DIR = 'features';
export const SCORES_FILE = 'scores.csv';
export const TEST_SCORES_FILE = 'test-scores.csv';

/** A feature network of the run. */
export interface FeatureNetworkSummary {
  /** 'cnn', 'mlp', 'ae', 'geo', or 'model' for a network trained elsewhere */
  kind: string;
  /** its folder in the run */
  dir: string;
  epochs: number | null;
  /** held-out accuracy of a classifier (cnn, mlp), else null */
  heldOutAccuracy: number | null;
  /** samples it was trained on (the normal classes with --normal) */
  trainedOn: number | null;
  trainSeconds: number;
}

/** One fitted one-class SVM: the run's only one, or the one of a class (--per-class). */
export interface ModelSummary {
  /** the class it was fitted on, or null for the run's single model */
  className: string | null;
  /** its folder in the run ('.' for the single model) */
  dir: string;
  gamma: number;
  rho: number;
  nFit: number;
  nSupport: number;
  fitSeconds: number;
  /** outlierness threshold θ = −(1/γ) log(ρ/(νl)): o(x) > θ ⇔ outlier */
  threshold: number;
  /** samples it calls outliers (decision < 0) */
  nOutliers: number;
}
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
  /** 'pixels', 'cnn', 'mlp', 'ae', 'geo', several joined by '+' (ae+geo), or 'model:PATH', as given */
  features: string;
  /** the layers whose values are the features ('layer', or 'kind:layer' with several networks); null for pixels */
  featureLayers: string[] | null;
  featureDim: number;
  /** the feature networks, in the order of `features` (none for pixels) */
  featureNetworks: FeatureNetworkSummary[];
  /** class names trained as normal (the rest are anomalies), or null when the SVM saw every sample */
  normal: string[] | null;
  /** one SVM per class, each sample ranked against its own class */
  perClass: boolean;
  svm: {
    kernel: string;
    nu: number;
    gammaOption: string | number;
    /** --max-train: each SVM was fitted on a seeded class-stratified subsample of at most this many of its candidates (fit-sample.ts); null: on all */
    maxTrain: number | null;
  };
  /** the fitted SVMs: one, or one per class present (perClass) */
  models: ModelSummary[];
  /** ROC AUC of −decision for 'not normal', when labels and a normal set exist */
  rocAuc: number | null;
  /** the held-out samples of --test, scored by the fitted SVM(s) */
  test: { data: string; nSamples: number; rocAuc: number | null } | null;
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
