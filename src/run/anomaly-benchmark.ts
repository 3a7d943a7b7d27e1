/**
 * The ground-truth anomaly benchmark (docs/methods.md#anomaly-benchmark): for each chosen class, plant
 * anomalies with known pixel masks into its images, fit the one-class SVM on the contaminated set
 * (on pixels, and on the features of a network trained on clean data of every class, none of the
 * benchmark's samples among them), and score every outlier explanation of every planted sample:
 * detection (planted vs clean), localisation (pixel ROC AUC, top-|mask| precision) and pixel
 * flipping (span-normalised areas with the mean and the blurred image as references).
 * One service for `oc-explain benchmark` and `npm run bench:anomalies`.
 */
import type { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { subset } from '../data/split.ts';
import { mulberry32, shuffleInPlace } from '../data/random.ts';
import { ANOMALY_TYPES, plantAnomalies, type AnomalyType } from '../data/planted-anomalies.ts';
import { trainFeatureNetwork } from '../features/train-network.ts';
import { FEATURES_LAYER } from '../features/feature-network.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import type { GammaOption } from '../ocsvm/index.ts';
import type { OutlierMethodName } from '../neuralize/outlier-methods.ts';
import { parseOcdtdVariant, variantLabel, type OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';
import { RANDOM_METHOD } from '../metrics/pixel-flipping.ts';
import {
  BENCHMARK_BASELINES,
  DEFAULT_BENCHMARK_VARIANTS,
  FEATURE_SPACES,
  OCDTD_PREFIX,
  type FeatureSpace,
} from './benchmark-names.ts';
import type { AnomalyBenchmark } from './benchmark-result.ts';
import { evaluateSetting, type SettingOptions } from './benchmark-setting.ts';
import { pickRows } from '../data/split.ts';

export type { FeatureSpace };
export type * from './benchmark-result.ts';

export interface AnomalyBenchmarkOptions {
  /** class names of the data set; each is the normal class of one setting */
  classes: string[];
  /** samples of each class in its setting (default 800; fewer if the class has fewer) */
  perClass?: number;
  /** share of a setting's samples that get an anomaly (default 0.1) */
  rate?: number;
  types?: readonly AnomalyType[];
  features?: readonly FeatureSpace[];
  nu?: number;
  gamma?: GammaOption;
  /** OC-DTD variants to score (default every named one) */
  variants?: readonly OcdtdVariant[];
  baselines?: readonly OutlierMethodName[];
  /** composite below the features for OC-DTD (default deep-taylor) */
  composite?: string;
  /** planted samples of each type and setting that are also flipped (default 8) */
  flipPerType?: number;
  /** points of each flipping curve (default 16), 2×2 patches */
  flipSteps?: number;
  /** the feature network: samples per class it trains on (default 1000) and epochs (default 6) */
  networkPerClass?: number;
  epochs?: number;
  /**
   * a classifier trained elsewhere on clean data (its 'features' layer is used), e.g. one made by
   * trainBenchmarkNetwork and kept; trained here when absent
   */
  featureModel?: tf.LayersModel;
  /** samples shown per anomaly type in the report (default 2) */
  examplesPerType?: number;
  seed?: number;
  log?: (line: string) => void;
}

function classIndex(ds: Dataset, name: string): number {
  const k = ds.classNames.indexOf(name);
  if (k < 0)
    throw new UserError(`benchmark: ${ds.source} has no class '${name}'; its classes: ${ds.classNames.join(', ')}`);
  return k;
}

function indicesOf(ds: Dataset, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (ds.labels![i] === k) out.push(i);
  return out;
}

interface Resolved extends SettingOptions {
  perClass: number;
  rate: number;
  features: FeatureSpace[];
  networkPerClass: number;
  epochs: number;
  log: (line: string) => void;
}

function resolve(ds: Dataset, o: AnomalyBenchmarkOptions): Resolved {
  if (!ds.labels)
    throw new UserError(`benchmark: ${ds.source} has no labels; it needs classes to plant anomalies into`);
  if (ds.sampleShape.length !== 3) throw new UserError(`benchmark: ${ds.source} holds vectors; it needs images`);
  if (o.classes.length === 0) throw new UserError('benchmark: choose at least one class');
  o.classes.forEach((c) => classIndex(ds, c));
  const positive = (v: number | undefined, fallback: number, what: string) => {
    const value = v ?? fallback;
    if (!(Number.isInteger(value) && value >= 1))
      throw new UserError(`benchmark: ${what} must be a positive whole number, got ${v}`);
    return value;
  };
  return {
    perClass: positive(o.perClass, 800, 'samples per class'),
    rate: o.rate ?? 0.1,
    types: [...(o.types ?? ANOMALY_TYPES)],
    features: [...(o.features ?? FEATURE_SPACES)],
    nu: o.nu ?? 0.1,
    gamma: o.gamma ?? 'scale',
    variants: [...(o.variants ?? DEFAULT_BENCHMARK_VARIANTS.map((v) => parseOcdtdVariant(v)))],
    baselines: [...(o.baselines ?? BENCHMARK_BASELINES)],
    composite: o.composite ?? 'deep-taylor',
    flipPerType: positive(o.flipPerType, 8, 'flipped samples per type'),
    flipSteps: positive(o.flipSteps, 16, 'flipping steps'),
    networkPerClass: positive(o.networkPerClass, 1000, 'network samples per class'),
    epochs: positive(o.epochs, 6, 'epochs'),
    examplesPerType: o.examplesPerType ?? 2,
    seed: o.seed ?? 0,
    log: o.log ?? (() => undefined),
  };
}

/** The benchmark's samples of one class (the first perClass of a seeded order). */
function settingIndices(ds: Dataset, k: number, perClass: number, seed: number): number[] {
  return shuffleInPlace(indicesOf(ds, k), mulberry32(seed + k))
    .slice(0, perClass)
    .sort((a, b) => a - b);
}

/** The benchmark's samples of every chosen class. */
function benchmarkSettings(ds: Dataset, classes: string[], r: Resolved) {
  return classes.map((name) => {
    const k = classIndex(ds, name);
    return { name, k, indices: settingIndices(ds, k, r.perClass, r.seed) };
  });
}

/**
 * The feature network of the benchmark: a CNN classifier trained on clean samples of every class,
 * none of them among the benchmark's samples (so the same options give the same network).
 */
export async function trainBenchmarkNetwork(
  dataset: Dataset,
  options: AnomalyBenchmarkOptions,
): Promise<{ model: tf.LayersModel; accuracy: number }> {
  const r = resolve(dataset, options);
  const used = new Set(benchmarkSettings(dataset, options.classes, r).flatMap((s) => s.indices));
  const chosen: number[] = [];
  for (let k = 0; k < dataset.classNames.length; k++) {
    const free = indicesOf(dataset, k).filter((i) => !used.has(i));
    chosen.push(...shuffleInPlace(free, mulberry32(r.seed + 100 + k)).slice(0, r.networkPerClass));
  }
  const train = subset(
    dataset,
    chosen.sort((a, b) => a - b),
  );
  r.log(`training the feature network (cnn) on ${train.n} clean samples, ${r.epochs} epochs`);
  const trained = await trainFeatureNetwork(train, { network: 'cnn', epochs: r.epochs, seed: r.seed, progress: false });
  return { model: trained.model, accuracy: trained.heldOutAccuracy };
}

/**
 * Run the benchmark on `dataset` (labelled images in [0, 1]). Every tensor made here is freed;
 * the feature network is trained once and shared by the settings.
 */
export async function runAnomalyBenchmark(
  dataset: Dataset,
  options: AnomalyBenchmarkOptions,
): Promise<AnomalyBenchmark> {
  const started = performance.now();
  const r = resolve(dataset, options);
  const settings = benchmarkSettings(dataset, options.classes, r);
  const used = new Set(settings.flatMap((s) => s.indices));
  let accuracy: number | null = null;
  let classifier: ExplainableNetwork | null = null;
  if (r.features.includes('cnn')) {
    const given = options.featureModel;
    const trained = given ? null : await trainBenchmarkNetwork(dataset, options);
    classifier = fromLayersModel(given ?? trained!.model);
    trained?.model.dispose();
    accuracy = trained?.accuracy ?? null;
  }
  const featureNetwork = classifier?.upTo(FEATURES_LAYER) ?? null;
  const compositeOptions = compositeOptionsForData(dataset);
  const result: AnomalyBenchmark = {
    settings: {
      source: dataset.source,
      classes: [...options.classes],
      perClass: r.perClass,
      rate: r.rate,
      types: r.types,
      features: r.features,
      nu: r.nu,
      gamma: r.gamma,
      composite: r.composite,
      methods: [...r.variants.map((v) => OCDTD_PREFIX + variantLabel(v)), ...r.baselines, RANDOM_METHOD],
      flipPerType: r.flipPerType,
      flipSteps: r.flipSteps,
      seed: r.seed,
      networkAccuracy: accuracy,
    },
    scores: [],
    detection: [],
    gaps: [],
    examples: [],
    seconds: 0,
  };
  try {
    for (const setting of settings) {
      const clean = subset(dataset, setting.indices);
      const others = [...Array(dataset.n).keys()].filter((i) => dataset.labels![i] !== setting.k && !used.has(i));
      const donors = pickRows(
        dataset.x,
        shuffleInPlace(others, mulberry32(r.seed + 7)).slice(0, 500),
        sampleSize(dataset),
      );
      const planted = plantAnomalies(clean, {
        rate: r.rate,
        types: r.types,
        seed: r.seed + setting.k,
        donors: r.types.includes('fragment') ? donors : undefined,
      });
      for (const space of r.features) {
        r.log(`class ${setting.name}, ${space} features: ${planted.planted.length} of ${clean.n} samples planted`);
        const features = space === 'cnn' ? featureNetwork : null;
        await evaluateSetting(result, r, setting.name, space, planted, features, compositeOptions);
      }
    }
  } finally {
    disposeBounds(compositeOptions);
    classifier?.dispose();
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
