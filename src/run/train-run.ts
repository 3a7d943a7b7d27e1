/**
 * `oc-explain train`: data → features → one-class SVM → a score for every sample, written as one
 * run folder (built under a temporary name, created before the work, and renamed when complete).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { absoluteDataSpec, dataSpecPaths, loadDataset, parseDataSpec } from '../data/data-spec.ts';
import { networkExtractor, pixelExtractor, type FeatureExtractor } from '../features/extractor.ts';
import { ParallelExtractor } from '../features/parallel-extractor.ts';
import { parseNetworkKind } from '../features/feature-network.ts';
import { loadModel, saveModel } from '../features/model-io.ts';
import { trainFeatureNetwork } from '../features/train-network.ts';
import type { tf } from '../runtime/runtime.ts';
import { OneClassSVM, type GammaOption, type Matrix } from '../ocsvm/index.ts';
import { selectRows } from '../ocsvm/matrix.ts';
import { ParallelScorer } from '../ocsvm/parallel-scorer.ts';
import { outliernessThreshold } from '../neuralize/neuralize.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { assertExplainable, datasetForModel, datasetForShape } from './feature-model.ts';
import { ONNX_MODEL_FILE, explainableExtractor, isOnnxPath } from './explainable-model.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
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
import { checkTrainChoices } from './train-options.ts';
import { fitSampleIndices } from './fit-sample.ts';
import {
  SECONDS_PER_CNN_SAMPLE,
  SECONDS_PER_FIT_PRODUCT,
  SECONDS_PER_KERNEL_PRODUCT,
  twoThreadsPay,
  type ThreadChoice,
} from './threads.ts';

export { absoluteDataSpec };

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
  /** fit the SVM on a seeded class-stratified subsample of this many of its samples (every sample is still scored) */
  maxTrain?: number;
  /** threads for the fit, the features and the scores: 1, 2 or 'auto' (two where the work pays for a worker) */
  threads?: ThreadChoice;
  seed?: number;
  out: string;
  backend: string;
  /** what the job tells the user while it works (default: nothing) */
  progress?: Progress;
}

export interface TrainedRun {
  config: RunConfig;
  decision: Float64Array;
  dataset: Dataset;
}

/** Above this many training samples an exact SVM fit takes minutes and gigabytes (time and memory grow with n²). */
export const LARGE_EXACT_FIT = 20_000;

/** Samples per feature-extraction or scoring pass: the progress granularity. */
const ROWS_PER_PASS = 4096;

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

/** The rows the SVM is fitted on: every sample, the normal ones, or the --max-train subsample of them. */
function fitRows(features: Float32Array, dim: number, indices: number[]): Matrix {
  const all = { data: features, n: features.length / dim, d: dim };
  return indices.length === all.n ? all : selectRows(all, indices);
}

/** Fit on two threads when the fit is long enough to pay for the worker (the solution is the same). */
async function fitSvm(svm: OneClassSVM, fitted: Matrix, threads: ThreadChoice | undefined): Promise<void> {
  if (twoThreadsPay(fitted.n * fitted.n * fitted.d * SECONDS_PER_FIT_PRODUCT, threads)) await svm.fitParallel(fitted);
  else svm.fit(fitted);
}

interface Features {
  /** the data as the feature network takes it (CSV rows may become images of a model's input shape) */
  dataset: Dataset;
  extractor: FeatureExtractor;
  model: tf.LayersModel | null;
  /** an ONNX feature network: its file is copied into the run, `release` frees the network */
  onnxPath?: string;
  release?: () => void;
  network: RunConfig['featureNetwork'];
}

/** Features from an .onnx file: read as an explainable network, so it is explainable by construction. */
function onnxFeatures(ds: Dataset, o: TrainRunOptions, path: string): Features {
  const network = readOnnxNetwork(path);
  try {
    return {
      dataset: datasetForShape(ds, network.inputShape, o.features),
      extractor: explainableExtractor(network, { layer: o.featureLayer, label: o.features }),
      model: null,
      onnxPath: path,
      release: () => network.dispose(),
      network: { kind: 'model', epochs: null, heldOutAccuracy: null, trainSeconds: 0 },
    };
  } catch (e) {
    network.dispose();
    throw e;
  }
}

async function modelFeatures(ds: Dataset, o: TrainRunOptions, progress: Progress): Promise<Features> {
  const path = o.features.slice('model:'.length);
  if (isOnnxPath(path)) return onnxFeatures(ds, o, path);
  const model = await loadModel(path);
  try {
    const dataset = datasetForModel(ds, model, o.features);
    if (dataset !== ds)
      progress.note(
        `each sample of ${ds.source} is read as a ${dataset.sampleShape.join('×')} image, the model's input shape`,
      );
    const extractor = networkExtractor(model, { layer: o.featureLayer, label: o.features });
    assertExplainable(model, extractor.layer!, o.features);
    return {
      dataset,
      extractor,
      model,
      network: { kind: 'model', epochs: null, heldOutAccuracy: null, trainSeconds: 0 },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function makeFeatures(ds: Dataset, o: TrainRunOptions, progress: Progress): Promise<Features> {
  if (o.features === 'pixels')
    return { dataset: ds, extractor: pixelExtractor(ds.sampleShape), model: null, network: null };
  if (o.features.startsWith('model:')) return modelFeatures(ds, o, progress);
  const kind = parseNetworkKind(o.features, '--features');
  progress.stage(`training the ${kind.toUpperCase()} feature network on ${ds.n} samples`);
  const start = performance.now();
  const trained = await trainFeatureNetwork(ds, {
    network: kind,
    epochs: o.epochs,
    seed: o.seed,
    progress: progress.terminal,
  });
  const trainSeconds = (performance.now() - start) / 1000;
  progress.note(
    `feature network: held-out accuracy ${(100 * trained.heldOutAccuracy).toFixed(2)} % (${trainSeconds.toFixed(1)} s)`,
  );
  try {
    const extractor = networkExtractor(trained.model, { layer: o.featureLayer });
    return {
      dataset: ds,
      extractor,
      model: trained.model,
      network: { kind, epochs: trained.history.loss.length, heldOutAccuracy: trained.heldOutAccuracy, trainSeconds },
    };
  } catch (e) {
    trained.model.dispose();
    throw e;
  }
}

/** φ(x) of every sample, a pass of ROWS_PER_PASS samples at a time (pixels: one copy), on two threads when that pays. */
async function extractAll(
  features: Features,
  ds: Dataset,
  threads: ThreadChoice | undefined,
  progress: Progress,
): Promise<Float32Array> {
  const { extractor, model } = features;
  if (extractor.layer === null || !model) return extractor.extract(ds);
  const size = sampleSize(ds);
  const phi = new Float32Array(ds.n * extractor.featureDim);
  const pool = twoThreadsPay(ds.n * SECONDS_PER_CNN_SAMPLE, threads)
    ? await ParallelExtractor.start(model, { layer: extractor.layer })
    : null;
  try {
    return await withSteps(
      progress,
      `extracting the features (${extractor.name}, ${extractor.featureDim} per sample${pool ? ', 2 threads' : ''})`,
      ds.n,
      async (update) => {
        for (let start = 0; start < ds.n; start += ROWS_PER_PASS) {
          const end = Math.min(ds.n, start + ROWS_PER_PASS);
          const x = ds.x.subarray(start * size, end * size);
          phi.set(pool ? await pool.extract(x) : extractor.extract(x), start * extractor.featureDim);
          update(end);
        }
        return phi;
      },
    );
  } finally {
    await pool?.close();
  }
}

/** The decision value of every row of `phi`, a pass at a time, on two threads when that pays. */
async function scoreAll(
  svm: OneClassSVM,
  phi: Float32Array,
  d: number,
  threads: ThreadChoice | undefined,
  progress: Progress,
): Promise<Float64Array> {
  const n = phi.length / d;
  const decision = new Float64Array(n);
  const pool = twoThreadsPay(n * svm.nSupport * d * SECONDS_PER_KERNEL_PRODUCT, threads)
    ? await ParallelScorer.start(svm)
    : null;
  try {
    return await withSteps(progress, `scoring ${n} samples${pool ? ' on 2 threads' : ''}`, n, async (update) => {
      for (let start = 0; start < n; start += ROWS_PER_PASS) {
        const end = Math.min(n, start + ROWS_PER_PASS);
        const rows = { data: phi.subarray(start * d, end * d), n: end - start, d };
        decision.set(pool ? await pool.decisionFunction(rows) : svm.decisionFunction(rows), start);
        update(end);
      }
      return decision;
    });
  } finally {
    await pool?.close();
  }
}

/** The warning before an exact fit on `n` samples, or null when n is small enough. */
export function largeFitWarning(n: number): string | null {
  if (n <= LARGE_EXACT_FIT) return null;
  return `warning: an exact one-class SVM on ${n.toLocaleString('en')} samples: its time and memory grow with n² (this may take very long and run out of memory); subsample (--max-train N, score all) or compress support vectors (explain --compress K)`;
}

export async function trainRun(o: TrainRunOptions): Promise<TrainedRun> {
  const progress = o.progress ?? SILENT_PROGRESS;
  checkTrainChoices(o);
  const spec = parseDataSpec(o.data);
  const svm = new OneClassSVM({ kernel: o.kernel, gamma: o.gamma, nu: o.nu });
  const modelPath = o.features.startsWith('model:') ? [o.features.slice('model:'.length)] : [];
  return writeDirAtomic(
    o.out,
    'run',
    async (dir) => {
      progress.stage(`loading ${o.data}`);
      const loaded = loadDataset(spec);
      const mask = o.normal && o.normal.length > 0 ? normalMask(loaded, o.normal) : null;
      const features = await makeFeatures(loaded, o, progress);
      try {
        const { extractor, dataset: ds } = features;
        const phi = await extractAll(features, ds, o.threads, progress);
        const normal = mask ? new Set(o.normal!.map((name) => ds.classNames.indexOf(name))) : null;
        const candidates = mask ? mask.reduce((count, m) => count + m, 0) : ds.n;
        const fitIndices = fitSampleIndices(ds.labels, ds.n, normal, o.maxTrain ?? null, o.seed ?? 0);
        const fitted = fitRows(phi, extractor.featureDim, fitIndices);
        const warning = largeFitWarning(fitted.n);
        if (warning) progress.note(warning);
        const subsample =
          fitted.n < candidates
            ? ` (--max-train: a class-stratified subsample of ${candidates}, seed ${o.seed ?? 0})`
            : '';
        progress.stage(
          `fitting the one-class SVM (${svm.kernel}, ν = ${o.nu}) on ${fitted.n} × ${fitted.d} features${subsample}`,
        );
        await fitSvm(svm, fitted, o.threads);
        const threshold = outliernessThreshold(svm.gamma, svm.rho, o.nu * fitted.n);
        const decision = await scoreAll(svm, phi, extractor.featureDim, o.threads, progress);
        if (Number.isNaN(threshold) || decision.some((v) => !Number.isFinite(v)))
          throw new UserError(
            `the one-class SVM gave non-finite scores with γ = ${svm.gamma} on these ${fitted.d} features; use --gamma scale or a value nearer to it`,
          );
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
            maxTrain: o.maxTrain ?? null,
            nSupport: svm.nSupport,
            fitSeconds: svm.fitSeconds,
            threshold,
          },
          rocAuc: auc,
          nOutliers: decision.reduce((count, v) => count + (v < 0 ? 1 : 0), 0),
        };
        progress.stage(`writing the run`);
        if (features.model) await saveModel(features.model, join(dir, FEATURES_DIR));
        if (features.onnxPath) {
          await mkdir(join(dir, FEATURES_DIR), { recursive: true });
          await copyFile(features.onnxPath, join(dir, FEATURES_DIR, ONNX_MODEL_FILE));
        }
        svm.save(join(dir, OCSVM_FILE));
        await writeFile(join(dir, SCORES_FILE), formatScoresCsv(decision, ds.labels, ds.classNames));
        await writeFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
        return { config, decision, dataset: ds };
      } finally {
        features.extractor.dispose();
        features.model?.dispose();
        features.release?.();
      }
    },
    { inputs: [...dataSpecPaths(spec), ...modelPath] },
  );
}
