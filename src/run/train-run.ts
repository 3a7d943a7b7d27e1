/**
 * `oc-explain train`: data → features → one-class SVM → a score for every sample, written as one
 * run folder (built under a temporary name and renamed when complete).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset, parseDataSpec, type DataSpec } from '../data/data-spec.ts';
import { networkExtractor, pixelExtractor, type FeatureExtractor } from '../features/extractor.ts';
import { parseNetworkKind } from '../features/feature-network.ts';
import { loadModel, saveModel } from '../features/model-io.ts';
import { trainFeatureNetwork } from '../features/train-network.ts';
import type { tf } from '../runtime/runtime.ts';
import { OneClassSVM, type GammaOption, type Matrix } from '../ocsvm/index.ts';
import { selectRows } from '../ocsvm/matrix.ts';
import { outliernessThreshold } from '../neuralize/neuralize.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { assertReplaceable, writeDirAtomic } from '../io/atomic-write.ts';
import {
  CONFIG_FILE,
  FEATURES_DIR,
  OCSVM_FILE,
  RUN_FORMAT,
  RUN_VERSION,
  SCORES_FILE,
  type RunConfig,
} from './run-config.ts';
import { formatScoresCsv } from './scores-csv.ts';
import { ONNX_MODEL_FILE, explainableExtractor, isOnnxPath } from './explainable-model.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';

export interface TrainRunOptions {
  data: string;
  /** 'pixels', 'cnn', 'mlp' or 'model:PATH' */
  features: string;
  featureLayer?: string;
  epochs?: number;
  kernel: string;
  nu: number;
  gamma: GammaOption;
  /** class names that are normal: the SVM is fitted on these only, the rest count as anomalies */
  normal?: string[];
  seed?: number;
  out: string;
  backend: string;
  progress?: boolean;
  /** one line of news per step (stderr in the CLI) */
  log?: (line: string) => void;
}

export interface TrainedRun {
  config: RunConfig;
  decision: Float64Array;
  dataset: Dataset;
}

/** The spec with its path made absolute, so a run can be reopened from any working folder. */
export function absoluteDataSpec(spec: DataSpec, given: string): string {
  if (spec.kind === 'png') return `png:${resolve(spec.dir)}`;
  if (spec.kind === 'csv') {
    const options = [
      spec.label !== null ? `label=${spec.label}` : null,
      spec.header !== null ? `header=${spec.header ? 'yes' : 'no'}` : null,
    ];
    return [`csv:${resolve(spec.file)}`, ...options.filter((o) => o !== null)].join(',');
  }
  return given;
}

function normalMask(ds: Dataset, normal: string[]): Uint8Array {
  if (!ds.labels) throw new UserError(`--normal needs labelled data, and ${ds.source} has no labels`);
  const wanted = new Set<number>();
  for (const name of normal) {
    const k = ds.classNames.indexOf(name);
    if (k < 0)
      throw new UserError(`--normal: ${ds.source} has no class '${name}'; its classes: ${ds.classNames.join(', ')}`);
    wanted.add(k);
  }
  const mask = Uint8Array.from(ds.labels, (label) => (wanted.has(label) ? 1 : 0));
  if (mask.every((m) => m === 0))
    throw new UserError(`--normal ${normal.join(',')}: no sample of ${ds.source} belongs to these classes`);
  return mask;
}

/** The rows the SVM is fitted on: every sample, or the normal ones. */
function fitRows(features: Float32Array, dim: number, mask: Uint8Array | null): Matrix {
  const all = { data: features, n: features.length / dim, d: dim };
  if (!mask) return all;
  const normal: number[] = [];
  mask.forEach((keep, i) => keep && normal.push(i));
  return selectRows(all, normal);
}

interface Features {
  extractor: FeatureExtractor;
  model: tf.LayersModel | null;
  /** an ONNX feature network, copied into the run */
  onnxPath?: string;
  /** frees what the features hold besides the model */
  release?: () => void;
  network: RunConfig['featureNetwork'];
}

async function makeFeatures(ds: Dataset, o: TrainRunOptions, log: (line: string) => void): Promise<Features> {
  if (o.features === 'pixels') return { extractor: pixelExtractor(ds.sampleShape), model: null, network: null };
  if (o.features.startsWith('model:')) {
    const path = o.features.slice('model:'.length);
    const network = { kind: 'model' as const, epochs: null, heldOutAccuracy: null, trainSeconds: 0 };
    if (isOnnxPath(path)) {
      const explainable = readOnnxNetwork(path);
      try {
        const extractor = explainableExtractor(explainable, { layer: o.featureLayer, label: o.features });
        return { extractor, model: null, onnxPath: path, release: () => explainable.dispose(), network };
      } catch (e) {
        explainable.dispose();
        throw e;
      }
    }
    const model = await loadModel(path);
    try {
      fromLayersModel(model).dispose(); // up front: every later explanation needs it, and says which layer cannot
      return { extractor: networkExtractor(model, { layer: o.featureLayer, label: o.features }), model, network };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const kind = parseNetworkKind(o.features, '--features');
  log(`training the ${kind.toUpperCase()} feature network on ${ds.n} samples`);
  const start = performance.now();
  const trained = await trainFeatureNetwork(ds, {
    network: kind,
    epochs: o.epochs,
    seed: o.seed,
    progress: o.progress,
  });
  const trainSeconds = (performance.now() - start) / 1000;
  log(
    `feature network: held-out accuracy ${(100 * trained.heldOutAccuracy).toFixed(2)} % (${trainSeconds.toFixed(1)} s)`,
  );
  return {
    extractor: networkExtractor(trained.model, { layer: o.featureLayer }),
    model: trained.model,
    network: { kind, epochs: trained.history.loss.length, heldOutAccuracy: trained.heldOutAccuracy, trainSeconds },
  };
}

export async function trainRun(o: TrainRunOptions): Promise<TrainedRun> {
  const log = o.log ?? (() => undefined);
  assertReplaceable(o.out, CONFIG_FILE);
  const spec = parseDataSpec(o.data);
  const ds = loadDataset(spec);
  const mask = o.normal && o.normal.length > 0 ? normalMask(ds, o.normal) : null;
  const svm = new OneClassSVM({ kernel: o.kernel, gamma: o.gamma, nu: o.nu });
  const features = await makeFeatures(ds, o, log);
  try {
    const { extractor } = features;
    log(`extracting ${extractor.name} features (${extractor.featureDim} per sample)`);
    const phi = extractor.extract(ds);
    const fitted = fitRows(phi, extractor.featureDim, mask);
    log(`fitting the one-class SVM (${svm.kernel}, ν = ${o.nu}) on ${fitted.n} × ${fitted.d} features`);
    svm.fit(fitted);
    const decision = svm.decisionFunction({ data: phi, n: ds.n, d: extractor.featureDim });
    const auc =
      mask && mask.includes(0)
        ? rocAuc(
            Float64Array.from(decision, (v) => -v),
            Array.from(mask, (m) => m === 0),
          )
        : null;
    const config: RunConfig = {
      format: RUN_FORMAT,
      version: RUN_VERSION,
      createdAt: new Date().toISOString(),
      backend: o.backend,
      seed: o.seed ?? 0,
      data: absoluteDataSpec(spec, o.data),
      nSamples: ds.n,
      sampleShape: ds.sampleShape,
      classNames: ds.classNames,
      features: o.features,
      featureLayer: extractor.layer,
      featureDim: extractor.featureDim,
      featureNetwork: features.network,
      normal: mask ? o.normal! : null,
      svm: {
        kernel: svm.kernel,
        nu: o.nu,
        gammaOption: o.gamma,
        gamma: svm.gamma,
        rho: svm.rho,
        nFit: fitted.n,
        nSupport: svm.nSupport,
        fitSeconds: svm.fitSeconds,
        threshold: outliernessThreshold(svm.gamma, svm.rho, o.nu * fitted.n),
      },
      rocAuc: auc,
      nOutliers: decision.reduce((count, v) => count + (v < 0 ? 1 : 0), 0),
    };
    await writeDirAtomic(o.out, CONFIG_FILE, async (dir) => {
      if (features.model) await saveModel(features.model, join(dir, FEATURES_DIR));
      if (features.onnxPath) {
        await mkdir(join(dir, FEATURES_DIR), { recursive: true });
        await copyFile(features.onnxPath, join(dir, FEATURES_DIR, ONNX_MODEL_FILE));
      }
      svm.save(join(dir, OCSVM_FILE));
      await writeFile(join(dir, SCORES_FILE), formatScoresCsv(decision, ds.labels, ds.classNames));
      await writeFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    });
    return { config, decision, dataset: ds };
  } finally {
    features.extractor.dispose();
    features.model?.dispose();
    features.release?.();
  }
}
