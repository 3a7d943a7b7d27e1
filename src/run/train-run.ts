/**
 * `oc-explain train`: data → features → one-class SVM(s) → a score for every sample, written as
 * one run folder (built under a temporary name and renamed when complete).
 *
 * Leak-free with --normal: the feature network learns from the normal classes only, and a
 * held-out set (--test) is scored by what was fitted without it. With --per-class every class
 * gets an SVM of its own and each sample is ranked against its own class.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadDataset, parseDataSpec, type DataSpec } from '../data/data-spec.ts';
import { subset } from '../data/split.ts';
import { loadModel, saveModel } from '../features/model-io.ts';
import {
  parseFeatureNetworkKind,
  trainNetworkOfKind,
  usesLabels,
  type FeatureNetworkKind,
} from '../features/network-kinds.ts';
import type { tf } from '../runtime/runtime.ts';
import type { GammaOption } from '../ocsvm/index.ts';
import { outliernessThreshold } from '../neuralize/neuralize.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import { assertReplaceable, writeDirAtomic } from '../io/atomic-write.ts';
import { Detector } from './detector.ts';
import { DEFAULT_TAPS, FeatureSpace, parseTaps } from './feature-space.ts';
import {
  CONFIG_FILE,
  RUN_FORMAT,
  RUN_VERSION,
  SCORES_FILE,
  TEST_SCORES_FILE,
  type FeatureNetworkSummary,
  type ModelSummary,
  type RunConfig,
} from './run-config.ts';
import { formatScoresCsv } from './scores-csv.ts';

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
  /** one SVM per class */
  perClass?: boolean;
  /** a held-out data set to score (same sample shape) */
  test?: string;
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
  /** decision values of the --test samples */
  testDecision: Float64Array | null;
}

/** The spec with its path made absolute, so a run can be reopened from any working folder. */
export function absoluteDataSpec(spec: DataSpec, given: string): string {
  if (spec.kind === 'png') return `png:${resolve(spec.dir)}${spec.planted === null ? '' : `,planted=${spec.planted}`}`;
  if (spec.kind === 'csv') {
    const options = [
      spec.label !== null ? `label=${spec.label}` : null,
      spec.header !== null ? `header=${spec.header ? 'yes' : 'no'}` : null,
    ];
    return [`csv:${resolve(spec.file)}`, ...options.filter((o) => o !== null)].join(',');
  }
  return given;
}

/** 1 for the samples of the `normal` classes (by name), else 0. */
function normalMask(ds: Dataset, normal: string[], option = '--normal'): Uint8Array {
  if (!ds.labels) throw new UserError(`${option} needs labelled data, and ${ds.source} has no labels`);
  const wanted = new Set<number>();
  for (const name of normal) {
    const k = ds.classNames.indexOf(name);
    if (k >= 0) wanted.add(k);
  }
  return Uint8Array.from(ds.labels, (label) => (wanted.has(label) ? 1 : 0));
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

/** Rows `indices` of n × d features. */
function selectFeatures(features: Float32Array, d: number, indices: readonly number[]): Float32Array {
  const out = new Float32Array(indices.length * d);
  indices.forEach((i, k) => out.set(features.subarray(i * d, (i + 1) * d), k * d));
  return out;
}

interface Features {
  space: FeatureSpace;
  /** the trained or loaded models, saved into the run in this order */
  models: tf.LayersModel[];
  networks: FeatureNetworkSummary[];
}

async function makeFeatures(
  ds: Dataset,
  learnFrom: Dataset,
  o: TrainRunOptions,
  log: (line: string) => void,
): Promise<Features> {
  if (o.features === 'pixels') {
    if (o.featureLayers !== undefined) throw new UserError('--layer: pixel features have no layers');
    return { space: FeatureSpace.pixels(ds.sampleShape), models: [], networks: [] };
  }
  if (o.features.startsWith('model:')) {
    const model = await loadModel(o.features.slice('model:'.length));
    try {
      const taps = o.featureLayers === undefined ? undefined : parseTaps(o.featureLayers, ['model'], []);
      const network = {
        kind: 'model',
        dir: 'features',
        epochs: null,
        heldOutAccuracy: null,
        trainedOn: null,
        trainSeconds: 0,
      };
      return { space: FeatureSpace.ofModels([model], taps), models: [model], networks: [network] };
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const kinds = o.features.split('+').map((k) => parseFeatureNetworkKind(k.trim(), '--features'));
  if (new Set(kinds).size !== kinds.length) throw new UserError(`--features ${o.features}: a network is named twice`);
  const taps = parseTaps(
    o.featureLayers,
    kinds,
    kinds.map((k) => DEFAULT_TAPS[k]),
  );
  const models: tf.LayersModel[] = [];
  const networks: FeatureNetworkSummary[] = [];
  try {
    for (const kind of kinds) {
      checkLearnable(kind, learnFrom, o.normal);
      log(
        `training the ${kind} feature network on ${learnFrom.n} samples${o.normal ? ' (the normal classes only)' : ''}`,
      );
      const trained = await trainNetworkOfKind(kind, learnFrom, {
        epochs: o.epochs,
        seed: o.seed,
        progress: o.progress,
      });
      models.push(trained.model);
      const accuracy =
        trained.heldOutAccuracy === null ? '' : `, held-out accuracy ${(100 * trained.heldOutAccuracy).toFixed(2)} %`;
      log(
        `${kind}: ${trained.epochs} epochs in ${trained.trainSeconds.toFixed(1)} s, final loss ${trained.finalLoss.toFixed(4)}${accuracy}`,
      );
      networks.push({
        kind,
        dir: kinds.length === 1 ? 'features' : `features-${kind}`,
        epochs: trained.epochs,
        heldOutAccuracy: trained.heldOutAccuracy,
        trainedOn: learnFrom.n,
        trainSeconds: trained.trainSeconds,
      });
    }
    return { space: FeatureSpace.ofModels(models, taps, kinds), models, networks };
  } catch (e) {
    for (const model of models) model.dispose();
    throw e;
  }
}

/** A classifier learns from labels of two or more classes: say what to do when the data have fewer. */
function checkLearnable(kind: FeatureNetworkKind, learnFrom: Dataset, normal: string[] | undefined): void {
  if (!usesLabels(kind) || !learnFrom.labels) return;
  const present = new Set(learnFrom.labels);
  if (present.size < 2 && normal)
    throw new UserError(
      `--features ${kind} is a classifier and learns from the labels of two or more classes, but --normal ${normal.join(',')} leaves one; use --features ae or geo (they learn without labels) or pixels`,
    );
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

/** Decision values of every sample of `ds` (features n × d) by its model. */
function decide(
  ds: Dataset,
  features: Float32Array,
  d: number,
  detectors: readonly Detector[],
  models: readonly ModelSummary[],
): Float64Array {
  if (models[0].className !== null && !ds.labels)
    throw new UserError(`${ds.source} has no labels, so its samples cannot be ranked against their own class`);
  const modelOf = modelIndexOf(ds, models);
  const groups = detectors.map(() => [] as number[]);
  for (let i = 0; i < ds.n; i++) groups[modelOf(i)].push(i);
  const decision = new Float64Array(ds.n);
  groups.forEach((rows, k) => {
    if (rows.length === 0) return;
    const values = detectors[k].decision(selectFeatures(features, d, rows), d);
    rows.forEach((i, r) => (decision[i] = values[r]));
  });
  return decision;
}

/** AUC of −decision for "not normal" when both kinds are present, else null. */
function normalAuc(decision: Float64Array, mask: Uint8Array | null): number | null {
  if (!mask || !mask.includes(0) || !mask.includes(1)) return null;
  return rocAuc(
    Float64Array.from(decision, (v) => -v),
    Array.from(mask, (m) => m === 0),
  );
}

/** The rows each model is fitted on: per class, or the normal ones, or all. */
function fitGroups(
  ds: Dataset,
  mask: Uint8Array | null,
  perClass: boolean,
): Array<{ className: string | null; rows: number[] }> {
  if (!perClass) return [{ className: null, rows: mask ? rowsWhere(mask) : Array.from({ length: ds.n }, (_, i) => i) }];
  if (!ds.labels) throw new UserError(`--per-class needs labelled data, and ${ds.source} has no labels`);
  const groups = ds.classNames.map((className) => ({ className: className as string | null, rows: [] as number[] }));
  ds.labels.forEach((label, i) => groups[label].rows.push(i));
  const present = groups.filter((g) => g.rows.length > 0);
  const tooSmall = present.find((g) => g.rows.length < 2);
  if (tooSmall)
    throw new UserError(
      `--per-class: class '${tooSmall.className}' of ${ds.source} has only one sample, too few for a model of its own`,
    );
  return present;
}

function loadTestSet(spec: string, ds: Dataset, mask: Uint8Array | null, o: TrainRunOptions): Dataset {
  const test = loadDataset(spec);
  if (test.sampleShape.join('×') !== ds.sampleShape.join('×'))
    throw new UserError(
      `--test ${spec}: samples of shape [${test.sampleShape.join(', ')}], but the training data has [${ds.sampleShape.join(', ')}]`,
    );
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

export async function trainRun(o: TrainRunOptions): Promise<TrainedRun> {
  const log = o.log ?? (() => undefined);
  assertReplaceable(o.out, CONFIG_FILE);
  if (o.perClass && o.normal && o.normal.length > 0)
    throw new UserError('--per-class fits a model to every class, so no class is the anomaly: leave out --normal');
  const spec = parseDataSpec(o.data);
  const ds = loadDataset(spec);
  const mask = o.normal && o.normal.length > 0 ? checkNormal(ds, o.normal) : null;
  const groups = fitGroups(ds, mask, o.perClass ?? false);
  const test = o.test === undefined ? null : loadTestSet(o.test, ds, mask, o);
  const testSpec = o.test === undefined ? null : absoluteDataSpec(parseDataSpec(o.test), o.test);
  const settings = { kernel: o.kernel, nu: o.nu, gamma: o.gamma };

  const features = await makeFeatures(ds, mask ? subset(ds, rowsWhere(mask)) : ds, o, log);
  try {
    const { space } = features;
    log(`extracting ${space.name} features (${space.dim} per sample)`);
    const phi = space.extract(ds.x);
    const detectors: Detector[] = [];
    const models: ModelSummary[] = groups.map(({ className, rows }, k) => {
      const which = className === null ? '' : ` of class '${className}'`;
      log(
        `fitting the one-class SVM${which} (${settings.kernel}, ν = ${o.nu}) on ${rows.length} × ${space.dim} features`,
      );
      const detector = Detector.fit(selectFeatures(phi, space.dim, rows), space.dim, space.blocks, settings);
      detectors.push(detector);
      const { svm } = detector;
      return {
        className,
        dir: className === null ? '.' : `classes/${k}`,
        gamma: svm.gamma,
        rho: svm.rho,
        nFit: rows.length,
        nSupport: svm.nSupport,
        fitSeconds: svm.fitSeconds,
        threshold: outliernessThreshold(svm.gamma, svm.rho, o.nu * rows.length),
        nOutliers: 0,
      };
    });
    const decision = decide(ds, phi, space.dim, detectors, models);
    const modelOf = modelIndexOf(ds, models);
    decision.forEach((v, i) => v < 0 && models[modelOf(i)].nOutliers++);

    let testDecision: Float64Array | null = null;
    let testAuc: number | null = null;
    if (test) {
      log(`scoring the ${test.n} held-out samples of ${o.test}`);
      testDecision = decide(test, space.extract(test.x), space.dim, detectors, models);
      testAuc = mask ? normalAuc(testDecision, normalMask(test, o.normal!, '--test')) : null;
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
      svm: { kernel: detectors[0].svm.kernel, nu: o.nu, gammaOption: o.gamma },
      models,
      rocAuc: normalAuc(decision, mask),
      test: test ? { data: testSpec!, nSamples: test.n, rocAuc: testAuc } : null,
      nOutliers: decision.reduce((count, v) => count + (v < 0 ? 1 : 0), 0),
    };
    await writeDirAtomic(o.out, CONFIG_FILE, async (dir) => {
      for (const [k, model] of features.models.entries()) await saveModel(model, join(dir, features.networks[k].dir));
      for (const [k, detector] of detectors.entries()) {
        await mkdir(join(dir, models[k].dir), { recursive: true });
        await detector.save(join(dir, models[k].dir));
      }
      await writeFile(join(dir, SCORES_FILE), formatScoresCsv(decision, ds));
      if (test) await writeFile(join(dir, TEST_SCORES_FILE), formatScoresCsv(testDecision!, test));
      await writeFile(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
    });
    return { config, decision, dataset: ds, testDecision };
  } finally {
    features.space.dispose();
    for (const model of features.models) model.dispose();
  }
}
