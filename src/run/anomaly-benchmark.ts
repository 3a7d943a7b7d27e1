/**
 * The ground-truth anomaly benchmark (docs/methods.md#anomaly-benchmark): for each chosen class, plant
 * anomalies with known pixel masks into its images, fit the one-class SVM on the contaminated set
 * (on pixels, and on the features of a network trained on clean data of every class, none of the
 * benchmark's samples among them), and score every outlier explanation of every planted sample:
 * detection (planted vs clean), localisation (pixel ROC AUC, top-|mask| precision) and pixel
 * flipping (span-normalised areas with the mean and the blurred image as references).
 * One service for `oc-explain benchmark` and `npm run bench:anomalies`.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { subset } from '../data/split.ts';
import { mulberry32, shuffleInPlace } from '../data/random.ts';
import { ANOMALY_TYPES, plantAnomalies, type AnomalyType } from '../data/planted-anomalies.ts';
import { trainFeatureNetwork } from '../features/train-network.ts';
import { FEATURES_LAYER } from '../features/feature-network.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import { OneClassSVM, type GammaOption } from '../ocsvm/index.ts';
import { neuralize } from '../neuralize/neuralize.ts';
import { NearestInlier } from '../neuralize/nearest-inlier.ts';
import {
  explainOutliers,
  type OutlierExplanationContext,
  type OutlierMethodName,
} from '../neuralize/outlier-methods.ts';
import { parseOcdtdVariant, variantLabel, type OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';
import { variantNetwork } from '../neuralize/ocdtd-variants.ts';
import { rocAuc } from '../metrics/roc-auc.ts';
import {
  BENCHMARK_BASELINES,
  BENCHMARK_REFERENCES,
  DEFAULT_BENCHMARK_VARIANTS,
  FEATURE_SPACES,
  type BenchmarkReference,
  type FeatureSpace,
} from './benchmark-names.ts';

export type { FeatureSpace };
import { localisationScores } from '../metrics/localization.ts';
import { gaussianBlur } from '../metrics/blur.ts';
import { pixelFlipping, RANDOM_METHOD, type FlipReference } from '../metrics/pixel-flipping.ts';

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

/** Scores of one method on one anomaly type in one setting (means over its planted samples). */
export interface MethodScores {
  className: string;
  features: FeatureSpace;
  method: string;
  type: AnomalyType;
  samples: number;
  pixelAuc: number;
  precision: number;
  /** span-normalised flipping area per reference (lower is better), over the flipped samples */
  flipArea: Record<BenchmarkReference, number>;
  flipped: number;
}

export interface DetectionScores {
  className: string;
  features: FeatureSpace;
  /** an anomaly type against the clean samples, or all planted ones ('all') */
  type: AnomalyType | 'all';
  /** ROC AUC of o(x), planted vs clean */
  auc: number;
  /** share of planted samples among the top k outliers, k = number planted (only for 'all') */
  topShare: number;
}

/** How far a variant's explained output lies from the SVM's o(x), over the planted samples. */
export interface VariantGap {
  className: string;
  features: FeatureSpace;
  method: string;
  /** median of |output − o(x)| / o(x) */
  medianRelativeGap: number;
  /** planted samples that are training support vectors (leave-self-out changes their output) */
  supportVectorSamples: number;
}

export interface BenchmarkExample {
  className: string;
  features: FeatureSpace;
  type: AnomalyType;
  height: number;
  width: number;
  /** the corrupted image (mean over channels) and the mask, H × W */
  image: Float32Array;
  mask: Uint8Array;
  /** o(x) and whether the SVM calls it an outlier */
  outlierness: number;
  outlier: boolean;
  maps: Array<{ method: string; map: Float32Array }>;
}

export interface AnomalyBenchmark {
  settings: {
    source: string;
    classes: string[];
    perClass: number;
    rate: number;
    types: AnomalyType[];
    features: FeatureSpace[];
    nu: number;
    gamma: GammaOption;
    composite: string;
    methods: string[];
    flipPerType: number;
    flipSteps: number;
    seed: number;
    networkAccuracy: number | null;
  };
  scores: MethodScores[];
  detection: DetectionScores[];
  gaps: VariantGap[];
  examples: BenchmarkExample[];
  seconds: number;
}

export const OCDTD_PREFIX = 'ocdtd:';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

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

interface Resolved {
  perClass: number;
  rate: number;
  types: AnomalyType[];
  features: FeatureSpace[];
  nu: number;
  gamma: GammaOption;
  variants: OcdtdVariant[];
  baselines: OutlierMethodName[];
  composite: string;
  flipPerType: number;
  flipSteps: number;
  networkPerClass: number;
  epochs: number;
  examplesPerType: number;
  seed: number;
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

/** Rows of `network` output for `x` (row-major, batches of 256), or x itself for pixels. */
function featureRows(network: ExplainableNetwork | null, x: Float32Array, shape: number[]): Float32Array {
  if (!network) return x;
  const size = shape.reduce((a, b) => a * b, 1);
  const n = x.length / size;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += 256) {
    const count = Math.min(256, n - start);
    parts.push(
      tf.tidy(
        () =>
          network
            .forward(tf.tensor(x.subarray(start * size, (start + count) * size), [count, ...shape]))
            .dataSync() as Float32Array,
      ),
    );
  }
  const dim = parts[0].length / Math.min(256, n);
  const out = new Float32Array(n * dim);
  parts.forEach((p, i) => out.set(p, i * 256 * dim));
  return out;
}

function pickRows(data: Float32Array, rows: readonly number[], size: number): Float32Array {
  const out = new Float32Array(rows.length * size);
  rows.forEach((r, k) => out.set(data.subarray(r * size, (r + 1) * size), k * size));
  return out;
}

/** A seeded uniform random map per sample: the localisation floor. */
function randomMaps(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random());
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

interface Planted {
  dataset: Dataset;
  masks: Uint8Array;
  types: (AnomalyType | null)[];
  planted: number[];
}

/** o(x) from the decision value: f = νl·exp(−γ o) − ρ. */
function outliernessOf(svm: OneClassSVM, decision: Float64Array): Float32Array {
  const scale = svm.nu * svm.nTrain;
  return Float32Array.from(decision, (f) => -Math.log(Math.max((f + svm.rho) / scale, Number.MIN_VALUE)) / svm.gamma);
}

function detectionScores(
  className: string,
  features: FeatureSpace,
  planted: Planted,
  o: Float32Array,
  types: AnomalyType[],
): DetectionScores[] {
  const isPlanted = planted.types.map((t) => t !== null);
  const k = planted.planted.length;
  const top = Array.from(o.keys())
    .sort((a, b) => o[b] - o[a])
    .slice(0, k);
  const rows: DetectionScores[] = [
    {
      className,
      features,
      type: 'all',
      auc: rocAuc(o, isPlanted),
      topShare: top.filter((i) => isPlanted[i]).length / k,
    },
  ];
  for (const type of types) {
    const keep = Array.from(o.keys()).filter((i) => planted.types[i] === type || planted.types[i] === null);
    const auc = rocAuc(
      keep.map((i) => o[i]),
      keep.map((i) => planted.types[i] === type),
    );
    rows.push({ className, features, type, auc, topShare: NaN });
  }
  return rows;
}

/** Means of `values` over the samples of each type (`typeOf[s]`), finite values only. */
function meanByType(values: number[], typeOf: AnomalyType[], type: AnomalyType): { mean: number; count: number } {
  const kept = values.filter((v, s) => typeOf[s] === type && Number.isFinite(v));
  return { mean: kept.length ? mean(kept) : NaN, count: kept.length };
}

/** The first `count` samples of each type, as rows of the planted list. */
function perTypeRows(typeOf: AnomalyType[], types: AnomalyType[], count: number): number[] {
  return types
    .flatMap((type) => typeOf.flatMap((t, s) => (t === type ? [s] : [])).slice(0, count))
    .sort((a, b) => a - b);
}

async function evaluateSetting(
  result: AnomalyBenchmark,
  r: Resolved,
  className: string,
  space: FeatureSpace,
  planted: Planted,
  features: ExplainableNetwork | null,
  compositeOptions: OutlierExplanationContext['compositeOptions'],
): Promise<void> {
  const ds = planted.dataset;
  const size = sampleSize(ds);
  const [height, width, channels] = ds.sampleShape;
  const pixels = height * width;
  const rows = featureRows(features, ds.x, ds.sampleShape);
  const dim = rows.length / ds.n;
  const svm = new OneClassSVM({ kernel: 'rbf', nu: r.nu, gamma: r.gamma }).fit({ data: rows, n: ds.n, d: dim });
  const decision = svm.decisionFunction({ data: rows, n: ds.n, d: dim });
  const o = outliernessOf(svm, decision);
  result.detection.push(...detectionScores(className, space, planted, o, r.types));

  const inliers: number[] = [];
  decision.forEach((f, i) => f > 0 && inliers.push(i));
  const inlierRows = pickRows(rows, inliers, dim);
  const neuralized = neuralize(svm);
  const sources = {
    inliers: inlierRows,
    inlierImages: pickRows(ds.x, inliers, size),
    supportImages: pickRows(ds.x, Array.from(svm.supportIndices), size),
  };
  const variantNetworks = r.variants.map((variant) => variantNetwork(svm, variant, features, ds.sampleShape, sources));
  const nearestInlier = new NearestInlier(sources.inlierImages, size);
  const explained = planted.planted;
  const typeOf = explained.map((i) => planted.types[i] as AnomalyType);
  const masks = new Uint8Array(explained.length * pixels);
  explained.forEach((i, s) => masks.set(planted.masks.subarray(i * pixels, (i + 1) * pixels), s * pixels));
  const x = tf.tensor(pickRows(ds.x, explained, size), [explained.length, ...ds.sampleShape]);
  const maps = new Map<string, Float32Array>();
  try {
    const network = neuralized.network(features, ds.sampleShape);
    const ctx: OutlierExplanationContext = {
      network,
      composite: r.composite,
      compositeOptions,
      nearestInlier,
    };
    const isSupportVector = new Set(Array.from(svm.supportIndices));
    r.variants.forEach((variant, v) => {
      const method = OCDTD_PREFIX + variantLabel(variant);
      const ocdtd = variantNetworks[v].network;
      const explanation = explainOutliers('ocdtd', { ...ctx, ocdtd }, x);
      maps.set(method, explanation.relevance.dataSync() as Float32Array);
      explanation.relevance.dispose();
      const output = tf.tidy(() => ocdtd.forward(x).dataSync());
      const gaps = explained
        .map((_, s) => Math.abs(output[s] - o[explained[s]]) / o[explained[s]])
        .sort((a, b) => a - b);
      result.gaps.push({
        className,
        features: space,
        method,
        medianRelativeGap: gaps[Math.floor(gaps.length / 2)],
        supportVectorSamples: explained.filter((i) => isSupportVector.has(i)).length,
      });
    });
    for (const method of r.baselines) {
      const explanation = explainOutliers(method, ctx, x);
      maps.set(method, explanation.relevance.dataSync() as Float32Array);
      explanation.relevance.dispose();
    }
    maps.set(RANDOM_METHOD, randomMaps(explained.length * pixels, r.seed + 17));

    // pixel flipping of a few samples per type, with the SVM's o(x) as the score
    const flipRows = perTypeRows(typeOf, r.types, r.flipPerType);
    const flipX = tf.tensor(
      pickRows(
        ds.x,
        flipRows.map((s) => explained[s]),
        size,
      ),
      [flipRows.length, ...ds.sampleShape],
    );
    const flipAreas = new Map<string, Record<BenchmarkReference, number[]>>();
    try {
      for (const reference of BENCHMARK_REFERENCES) {
        const values = pickRows(
          ds.x,
          flipRows.map((s) => explained[s]),
          size,
        );
        const flipReference: FlipReference =
          reference === 'mean'
            ? { kind: 'mean', image: meanImage(ds) }
            : { kind: 'blurred', images: gaussianBlur(values, [height, width, channels]) };
        const methods = [...maps.keys()]
          .filter((m) => m !== RANDOM_METHOD)
          .map((method) => ({ method, relevance: pickRows(maps.get(method)!, flipRows, pixels) }));
        const flipping = await pixelFlipping((batch) => network.forward(batch), flipX, methods, {
          patchSize: 2,
          steps: r.flipSteps,
          reference: flipReference,
          normalize: 'span',
          seed: r.seed,
        });
        for (const curve of flipping.curves) {
          if (!flipAreas.has(curve.method)) flipAreas.set(curve.method, { mean: [], blurred: [] });
          flipAreas.get(curve.method)![reference] = curve.areas;
        }
      }
    } finally {
      flipX.dispose();
    }

    const flipTypes = flipRows.map((s) => typeOf[s]);
    for (const [method, relevance] of maps) {
      const { auc, precision } = localisationScores(relevance, masks, pixels);
      const areas = flipAreas.get(method)!;
      for (const type of r.types) {
        const flips = BENCHMARK_REFERENCES.map((ref) => meanByType(areas[ref], flipTypes, type));
        result.scores.push({
          className,
          features: space,
          method,
          type,
          samples: typeOf.filter((t) => t === type).length,
          pixelAuc: meanByType(auc, typeOf, type).mean,
          precision: meanByType(precision, typeOf, type).mean,
          flipArea: { mean: flips[0].mean, blurred: flips[1].mean },
          flipped: Math.min(...flips.map((f) => f.count)),
        });
      }
    }
    result.examples.push(...examples(r, className, space, planted, typeOf, o, neuralized.threshold, maps));
  } finally {
    x.dispose();
    variantNetworks.forEach((v) => v.dispose());
    nearestInlier.dispose();
    neuralized.dispose();
  }
}

/** The mean image of the setting's samples (the flipping reference 'mean'). */
function meanImage(ds: Dataset): Float32Array {
  const size = sampleSize(ds);
  const sum = new Float64Array(size);
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < size; j++) sum[j] += ds.x[i * size + j];
  return Float32Array.from(sum, (v) => v / ds.n);
}

function examples(
  r: Resolved,
  className: string,
  space: FeatureSpace,
  planted: Planted,
  typeOf: AnomalyType[],
  o: Float32Array,
  threshold: number,
  maps: Map<string, Float32Array>,
): BenchmarkExample[] {
  const ds = planted.dataset;
  const [height, width, channels] = ds.sampleShape;
  const pixels = height * width;
  return perTypeRows(typeOf, r.types, r.examplesPerType).map((s) => {
    const i = planted.planted[s];
    const image = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      let v = 0;
      for (let c = 0; c < channels; c++) v += ds.x[(i * pixels + p) * channels + c];
      image[p] = v / channels;
    }
    return {
      className,
      features: space,
      type: typeOf[s],
      height,
      width,
      image,
      mask: planted.masks.slice(i * pixels, (i + 1) * pixels),
      outlierness: o[i],
      outlier: o[i] > threshold,
      maps: [...maps].map(([method, all]) => ({ method, map: all.slice(s * pixels, (s + 1) * pixels) })),
    };
  });
}
