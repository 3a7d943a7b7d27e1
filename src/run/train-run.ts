/**
 * `oc-explain train`: data → features → one-class SVM(s) → a score for every sample, written as
 * one run folder (built under a temporary name, created before the work, and renamed when complete).
 *
 * Leak-free with --normal: the feature networks learn from the normal classes only, and a
 * held-out set (--test) is scored by what was fitted without it. With --per-class every class
 * gets an SVM of its own and each sample is ranked against its own class.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { absoluteDataSpec, dataSpecPaths, loadDataset, parseDataSpec } from '../data/data-spec.ts';
import { subset } from '../data/split.ts';
import { loadModel, saveModel } from '../features/model-io.ts';
import {
  parseFeatureNetworkKind,
  trainNetworkOfKind,
  usesLabels,
  type FeatureNetworkKind,
} from '../features/network-kinds.ts';
import type { tf } from '../runtime/runtime.ts';
import type { GammaOption, Matrix, OneClassSVM } from '../ocsvm/index.ts';
import { selectRows } from '../ocsvm/matrix.ts';
import { outliernessThreshold } from '../neuralize/neuralize.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';
import { Detector } from './detector.ts';
import { assertExplainable, datasetForModel, datasetForShape } from './feature-model.ts';
import { defaultFeatureLayer } from '../features/extractor.ts';
import { RESIDUAL_TAP } from '../explain/feature-map.ts';
import { ONNX_MODEL_FILE, isOnnxPath } from './explainable-model.ts';
import { DEFAULT_TAPS, FeatureSpace, parseTaps } from './feature-space.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import {
  CONFIG_FILE,
  FEATURES_DIR,
  RUN_FORMAT,
  RUN_VERSION,
  SCORES_FILE,
  TEST_SCORES_FILE,
  type FeatureNetworkSummary,
  type ModelSummary,
  type RunConfig,
} from './run-config.ts';
import { formatScoresCsv } from './scores-csv.ts';
import { checkTrainChoices } from './train-options.ts';
import { modelFitSamples } from './fit-sample.ts';
import { SECONDS_PER_FIT_PRODUCT, twoThreadsPay, type ThreadChoice } from './threads.ts';

export interface TrainRunOptions {
  data: string;
  /** 'pixels', 'cnn', 'mlp', 'ae', 'geo', several joined by '+', or 'model:PATH' */
  features: string;
  /** --layer: the layers whose values are the features (comma-separated; 'kind:layer' with several networks) */
  featureLayers?: string;
  epochs?: number;
  kernel: string;
  nu: number;
  gamma: GammaOption;
  /** class names that are normal: the networks and the SVM learn from these only, the rest count as anomalies */
  normal?: string[];
  /** fit the SVM on a seeded class-stratified subsample of this many of its samples (every sample is still scored) */
  maxTrain?: number;
  /** threads for the fit, the features and the scores: 1, 2 or 'auto' (two where the work pays for a worker) */
  threads?: ThreadChoice;
  /** one SVM per class */
  perClass?: boolean;
  /** a held-out data set to score (samples of the training data's shape) */
  test?: string;
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
  /** decision values of the --test samples */
  testDecision: Float64Array | null;
}

/** Above this many training samples an exact SVM fit takes minutes and gigabytes (time and memory grow with n²). */
export const LARGE_EXACT_FIT = 20_000;

/** Samples per feature-extraction or scoring pass: the progress granularity. */
const ROWS_PER_PASS = 4096;

/** 1 for the samples of the `normal` classes (by name), else 0. */
function normalMask(ds: Dataset, normal: readonly string[]): Uint8Array {
  const wanted = new Set(normal.map((name) => ds.classNames.indexOf(name)).filter((k) => k >= 0));
  return Uint8Array.from(ds.labels!, (label) => (wanted.has(label) ? 1 : 0));
}

function checkNormal(ds: Dataset, normal: string[]): Uint8Array {
  if (!ds.labels) throw new UserError(`--normal needs labelled data, and ${ds.source} has no labels`);
  for (const name of normal)
    if (!ds.classNames.includes(name))
      throw new UserError(`--normal: ${ds.source} has no class '${name}'; its classes: ${ds.classNames.join(', ')}`);
  const mask = normalMask(ds, normal);
  if (mask.every((m) => m === 0))
    throw new UserError(`--normal ${normal.join(',')}: no sample of ${ds.source} belongs to these classes`);
  return mask;
}

const rowsWhere = (mask: ArrayLike<number>) => Array.from(mask).flatMap((keep, i) => (keep ? [i] : []));

/** Fit on two threads when the fit is long enough to pay for the worker (the solution is the same). */
function svmFitter(threads: ThreadChoice | undefined) {
  return async (svm: OneClassSVM, rows: Matrix): Promise<void> => {
    if (twoThreadsPay(rows.n * rows.n * rows.d * SECONDS_PER_FIT_PRODUCT, threads)) await svm.fitParallel(rows);
    else svm.fit(rows);
  };
}

interface Features {
  /** the data as the feature networks take it (CSV rows may become images of a model's input shape) */
  dataset: Dataset;
  space: FeatureSpace;
  /** tfjs models to save into the run, with the folder each goes to */
  models: Array<{ model: tf.LayersModel; dir: string }>;
  /** an ONNX feature network: its file is copied into the run */
  onnxPath?: string;
  /** frees what the features hold beyond the space */
  release: () => void;
  networks: FeatureNetworkSummary[];
}

const givenNetwork = (dir: string): FeatureNetworkSummary => ({
  kind: 'model',
  dir,
  epochs: null,
  heldOutAccuracy: null,
  trainedOn: null,
  trainSeconds: 0,
});

/** Features from a network trained elsewhere: a tfjs layers model, or an .onnx file read as an explainable network. */
async function modelFeatures(ds: Dataset, o: TrainRunOptions, progress: Progress): Promise<Features> {
  const path = o.features.slice('model:'.length);
  const taps = o.featureLayers === undefined ? undefined : parseTaps(o.featureLayers, ['model'], []);
  if (isOnnxPath(path)) {
    const network = readOnnxNetwork(path);
    try {
      return {
        dataset: datasetForShape(ds, network.inputShape, o.features),
        space: FeatureSpace.ofModels([network], taps),
        models: [],
        onnxPath: path,
        release: () => network.dispose(),
        networks: [givenNetwork(FEATURES_DIR)],
      };
    } catch (e) {
      network.dispose();
      throw e;
    }
  }
  const model = await loadModel(path);
  try {
    const dataset = datasetForModel(ds, model, o.features);
    if (dataset !== ds)
      progress.note(
        `each sample of ${ds.source} is read as a ${dataset.sampleShape.join('×')} image, the model's input shape`,
      );
    const layers = taps
      ? taps.map((t) => t.layer).filter((layer) => layer !== RESIDUAL_TAP)
      : [defaultFeatureLayer(model)];
    assertExplainable(model, layers, o.features);
    const space = FeatureSpace.ofModels([model], taps);
    return {
      dataset,
      space,
      models: [{ model, dir: FEATURES_DIR }],
      release: () => model.dispose(),
      networks: [givenNetwork(FEATURES_DIR)],
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** A classifier learns from labels of two or more classes: say what to do when --normal leaves fewer. */
function checkLearnable(kind: FeatureNetworkKind, learnFrom: Dataset, normal: string[] | undefined): void {
  if (!usesLabels(kind) || !learnFrom.labels || !normal) return;
  if (new Set(learnFrom.labels).size < 2)
    throw new UserError(
      `--features ${kind} is a classifier and learns from the labels of two or more classes, but --normal ${normal.join(',')} leaves one; use --features ae or geo (they learn without labels) or pixels`,
    );
}

/** Train the networks of `kinds` on `learnFrom` (the normal classes with --normal). */
async function trainedFeatures(
  ds: Dataset,
  learnFrom: Dataset,
  o: TrainRunOptions,
  progress: Progress,
): Promise<Features> {
  const kinds = o.features.split('+').map((k) => parseFeatureNetworkKind(k.trim(), '--features'));
  if (new Set(kinds).size !== kinds.length) throw new UserError(`--features ${o.features}: a network is named twice`);
  const taps = parseTaps(
    o.featureLayers,
    kinds,
    kinds.map((k) => DEFAULT_TAPS[k]),
  );
  const models: Features['models'] = [];
  const networks: FeatureNetworkSummary[] = [];
  const release = () => models.forEach(({ model }) => model.dispose());
  try {
    for (const kind of kinds) {
      checkLearnable(kind, learnFrom, o.normal);
      progress.stage(
        `training the ${kind} feature network on ${learnFrom.n} samples${o.normal ? ' (the normal classes only)' : ''}`,
      );
      const trained = await trainNetworkOfKind(kind, learnFrom, {
        epochs: o.epochs,
        seed: o.seed,
        progress: progress.terminal,
      });
      const dir = kinds.length === 1 ? FEATURES_DIR : `${FEATURES_DIR}-${kind}`;
      models.push({ model: trained.model, dir });
      const accuracy =
        trained.heldOutAccuracy === null ? '' : `, held-out accuracy ${(100 * trained.heldOutAccuracy).toFixed(2)} %`;
      progress.note(
        `${kind}: ${trained.epochs} epochs in ${trained.trainSeconds.toFixed(1)} s, final loss ${trained.finalLoss.toFixed(4)}${accuracy}`,
      );
      networks.push({
        kind,
        dir,
        epochs: trained.epochs,
        heldOutAccuracy: trained.heldOutAccuracy,
        trainedOn: learnFrom.n,
        trainSeconds: trained.trainSeconds,
      });
    }
    const space = FeatureSpace.ofModels(
      models.map((m) => m.model),
      taps,
      kinds,
    );
    return { dataset: ds, space, models, release, networks };
  } catch (e) {
    release();
    throw e;
  }
}

async function makeFeatures(
  ds: Dataset,
  mask: Uint8Array | null,
  o: TrainRunOptions,
  progress: Progress,
): Promise<Features> {
  if (o.features === 'pixels')
    return { dataset: ds, space: FeatureSpace.pixels(ds.sampleShape), models: [], release: () => {}, networks: [] };
  if (o.features.startsWith('model:')) return modelFeatures(ds, o, progress);
  return trainedFeatures(ds, mask ? subset(ds, rowsWhere(mask)) : ds, o, progress);
}

/** φ(x) of every sample, a pass of ROWS_PER_PASS samples at a time (pixels: the samples themselves). */
async function extractAll(space: FeatureSpace, ds: Dataset, progress: Progress): Promise<Float32Array> {
  if (!space.map) return ds.x;
  const size = sampleSize(ds);
  const phi = new Float32Array(ds.n * space.dim);
  return withSteps(progress, `extracting the features (${space.name}, ${space.dim} per sample)`, ds.n, (update) => {
    for (let start = 0; start < ds.n; start += ROWS_PER_PASS) {
      const end = Math.min(ds.n, start + ROWS_PER_PASS);
      phi.set(space.extract(ds.x.subarray(start * size, end * size)), start * space.dim);
      update(end);
    }
    return phi;
  });
}

/** The model each sample is ranked by: its class's (per class), or the one model (index 0). */
function modelIndexOf(ds: Dataset, models: readonly ModelSummary[]): (i: number) => number {
  if (models[0].className === null) return () => 0;
  const byClass = new Map(models.map((m, k) => [m.className, k]));
  return (i) => {
    const k = byClass.get(ds.classNames[ds.labels![i]]);
    if (k === undefined)
      throw new UserError(
        `${ds.source}, sample ${i}: class '${ds.classNames[ds.labels![i]]}' has no model of its own in this run`,
      );
    return k;
  };
}

/** Decision values of every sample of `ds` (features n × d) by its model, a pass at a time, on two threads where that pays. */
async function decide(
  ds: Dataset,
  features: Float32Array,
  d: number,
  detectors: readonly Detector[],
  models: readonly ModelSummary[],
  threads: ThreadChoice | undefined,
  progress: Progress,
): Promise<Float64Array> {
  if (models[0].className !== null && !ds.labels)
    throw new UserError(`${ds.source} has no labels, so its samples cannot be ranked against their own class`);
  const modelOf = modelIndexOf(ds, models);
  const groups = detectors.map(() => [] as number[]);
  for (let i = 0; i < ds.n; i++) groups[modelOf(i)].push(i);
  const decision = new Float64Array(ds.n);
  return withSteps(progress, `scoring ${ds.n} samples`, ds.n, async (update) => {
    let done = 0;
    for (const [k, rows] of groups.entries()) {
      const pool = await detectors[k].scorerFor(rows.length, threads);
      try {
        for (let start = 0; start < rows.length; start += ROWS_PER_PASS) {
          const part = rows.slice(start, start + ROWS_PER_PASS);
          const values = await detectors[k].decision(selectRows({ data: features, n: ds.n, d }, part).data, d, pool);
          part.forEach((i, r) => (decision[i] = values[r]));
          update((done += part.length));
        }
      } finally {
        await pool?.close();
      }
    }
    return decision;
  });
}

/** AUC of −decision for "not normal" when both kinds are present, else null. */
function normalAuc(decision: Float64Array, mask: Uint8Array | null): number | null {
  if (!mask || !mask.includes(0) || !mask.includes(1)) return null;
  return rocAuc(
    Float64Array.from(decision, (v) => -v),
    Array.from(mask, (m) => m === 0),
  );
}

/**
 * The rows each model is fitted on: per class, or the normal ones, or all — with --max-train a
 * seeded class-stratified subsample of them (fit-sample.ts; later commands take the same rows).
 */
function fitGroups(
  ds: Dataset,
  o: Pick<TrainRunOptions, 'normal' | 'perClass' | 'maxTrain' | 'seed'>,
): Array<{ className: string | null; rows: number[]; candidates: number }> {
  const group = (className: string | null) => ({
    className,
    ...modelFitSamples(ds, className, o.normal ?? null, o.maxTrain ?? null, o.seed ?? 0),
  });
  if (!o.perClass) return [group(null)];
  if (!ds.labels) throw new UserError(`--per-class needs labelled data, and ${ds.source} has no labels`);
  const present = ds.classNames.map((className) => group(className)).filter((g) => g.candidates > 0);
  const tooSmall = present.find((g) => g.rows.length < 2);
  if (tooSmall)
    throw new UserError(
      `--per-class: class '${tooSmall.className}' of ${ds.source} has only one sample, too few for a model of its own`,
    );
  return present;
}

/** The held-out samples of --test, shaped as the features take them and checked against the run. */
function loadTestSet(spec: string, ds: Dataset, mask: Uint8Array | null, o: TrainRunOptions): Dataset {
  const test = datasetForShape(loadDataset(spec), ds.sampleShape, `--test ${spec}`);
  if (o.perClass) {
    if (!test.labels)
      throw new UserError(
        `--test ${spec}: --per-class ranks each sample against its class, and these samples have no labels`,
      );
    const unknown = test.classNames.find((name, k) => !ds.classNames.includes(name) && test.labels!.includes(k));
    if (unknown !== undefined)
      throw new UserError(
        `--test ${spec}: class '${unknown}' is not a class of the training data (${ds.classNames.join(', ')})`,
      );
  }
  if (mask && !test.labels)
    throw new UserError(`--test ${spec}: --normal needs labelled test samples to measure the AUC`);
  return test;
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
  const testSpec = o.test === undefined ? null : parseDataSpec(o.test);
  const settings = { kernel: o.kernel, nu: o.nu, gamma: o.gamma };
  const modelPath = o.features.startsWith('model:') ? [o.features.slice('model:'.length)] : [];
  return writeDirAtomic(
    o.out,
    'run',
    async (dir) => {
      progress.stage(`loading ${o.data}`);
      const loaded = loadDataset(spec);
      const mask = o.normal && o.normal.length > 0 ? checkNormal(loaded, o.normal) : null;
      const groups = fitGroups(loaded, o);
      const features = await makeFeatures(loaded, mask, o, progress);
      try {
        const { space, dataset: ds } = features;
        const test = o.test === undefined ? null : loadTestSet(o.test, ds, mask, o);
        const phi = await extractAll(space, ds, progress);
        const detectors: Detector[] = [];
        const models: ModelSummary[] = [];
        for (const [k, { className, rows, candidates }] of groups.entries()) {
          const warning = largeFitWarning(rows.length);
          if (warning) progress.note(warning);
          const which = className === null ? '' : ` of class '${className}'`;
          const subsample =
            rows.length < candidates
              ? ` (--max-train: a class-stratified subsample of ${candidates}, seed ${o.seed ?? 0})`
              : '';
          progress.stage(
            `fitting the one-class SVM${which} (${settings.kernel}, ν = ${o.nu}) on ${rows.length} × ${space.dim} features${subsample}`,
          );
          const detector = await Detector.fit(
            selectRows({ data: phi, n: ds.n, d: space.dim }, rows).data,
            space.dim,
            space.blocks,
            settings,
            svmFitter(o.threads),
          );
          detectors.push(detector);
          const { svm } = detector;
          models.push({
            className,
            dir: className === null ? '.' : `classes/${k}`,
            gamma: svm.gamma,
            rho: svm.rho,
            nFit: rows.length,
            nSupport: svm.nSupport,
            fitSeconds: svm.fitSeconds,
            threshold: outliernessThreshold(svm.gamma, svm.rho, o.nu * rows.length),
            nOutliers: 0,
          });
        }
        const decision = await decide(ds, phi, space.dim, detectors, models, o.threads, progress);
        if (models.some((m) => Number.isNaN(m.threshold)) || decision.some((v) => !Number.isFinite(v)))
          throw new UserError(
            `the one-class SVM gave non-finite scores with γ = ${models[0].gamma} on these ${space.dim} features; use --gamma scale or a value nearer to it`,
          );
        const modelOf = modelIndexOf(ds, models);
        decision.forEach((v, i) => v < 0 && models[modelOf(i)].nOutliers++);

        let testDecision: Float64Array | null = null;
        let testAuc: number | null = null;
        if (test) {
          progress.stage(`scoring the ${test.n} held-out samples of ${o.test}`);
          testDecision = await decide(
            test,
            await extractAll(space, test, progress),
            space.dim,
            detectors,
            models,
            o.threads,
            progress,
          );
          testAuc = mask ? normalAuc(testDecision, normalMask(test, o.normal!)) : null;
        }
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
          featureLayers: space.map ? space.tapNames : null,
          featureDim: space.dim,
          featureNetworks: features.networks,
          normal: mask ? o.normal! : null,
          perClass: o.perClass ?? false,
          svm: { kernel: detectors[0].svm.kernel, nu: o.nu, gammaOption: o.gamma, maxTrain: o.maxTrain ?? null },
          models,
          rocAuc: normalAuc(decision, mask),
          test: test ? { data: absoluteDataSpec(testSpec!, o.test!), nSamples: test.n, rocAuc: testAuc } : null,
          nOutliers: decision.reduce((count, v) => count + (v < 0 ? 1 : 0), 0),
        };
        progress.stage(`writing the run`);
        for (const { model, dir: at } of features.models) await saveModel(model, join(dir, at));
        if (features.onnxPath) {
          await mkdir(join(dir, FEATURES_DIR), { recursive: true });
          await copyFile(features.onnxPath, join(dir, FEATURES_DIR, ONNX_MODEL_FILE));
        }
        for (const [k, detector] of detectors.entries()) {
          await mkdir(join(dir, models[k].dir), { recursive: true });
          await detector.save(join(dir, models[k].dir));
        }
        await writeFile(join(dir, SCORES_FILE), formatScoresCsv(decision, ds));
        if (test) await writeFile(join(dir, TEST_SCORES_FILE), formatScoresCsv(testDecision!, test));
        await writeFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
        return { config, decision, dataset: ds, testDecision };
      } finally {
        features.space.dispose();
        features.release();
      }
    },
    { inputs: [...dataSpecPaths(spec), ...(testSpec ? dataSpecPaths(testSpec) : []), ...modelPath] },
  );
}
