/** Reopen a run folder: its description, SVM, feature network (if any), data and scores. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset } from '../data/data-spec.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { ONNX_MODEL_FILE, loadExplainableNetwork } from './explainable-model.ts';
import { OneClassSVM } from '../ocsvm/index.ts';
import { FEATURES_DIR, OCSVM_FILE, SCORES_FILE, readRunConfig, type RunConfig } from './run-config.ts';
import { readScoresCsv, type SampleScore } from './scores-csv.ts';

export interface OpenRun {
  dir: string;
  config: RunConfig;
  svm: OneClassSVM;
  scores: SampleScore[];
}

export interface OpenRunWithData extends OpenRun {
  dataset: Dataset;
  /** the whole feature network (classifier) as an explainable network, null for pixel features; the caller disposes it */
  featureModel: ExplainableNetwork | null;
}

export function openRun(dir: string): OpenRun {
  if (!existsSync(dir))
    throw new UserError(`run folder ${dir} does not exist (make one with 'oc-explain train --out ${dir}')`);
  const config = readRunConfig(dir);
  const svm = OneClassSVM.load(join(dir, OCSVM_FILE));
  const scores = readScoresCsv(join(dir, SCORES_FILE));
  if (scores.length !== config.nSamples) {
    throw new UserError(
      `${join(dir, SCORES_FILE)} has ${scores.length} rows but the run has ${config.nSamples} samples: the run folder is inconsistent`,
    );
  }
  return { dir, config, svm, scores };
}

export async function openRunWithData(dir: string): Promise<OpenRunWithData> {
  const run = openRun(dir);
  const dataset = loadDataset(run.config.data);
  if (dataset.n !== run.config.nSamples) {
    throw new UserError(
      `the data of run ${dir} (${run.config.data}) now has ${dataset.n} samples, not ${run.config.nSamples}: it changed since training`,
    );
  }
  const onnx = join(dir, FEATURES_DIR, ONNX_MODEL_FILE);
  const featureModel = run.config.featureNetwork
    ? await loadExplainableNetwork(existsSync(onnx) ? onnx : join(dir, FEATURES_DIR))
    : null;
  return { ...run, dataset, featureModel };
}
