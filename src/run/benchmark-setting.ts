/**
 * One setting of the anomaly benchmark (docs/methods.md#anomaly-benchmark): the SVM fitted on one
 * class's contaminated samples in one feature space, every planted sample explained by every
 * method, and the scores — detection, localisation against the masks, pixel flipping.
 */
import { tf } from '../runtime/runtime.ts';
import { sampleSize } from '../data/dataset.ts';
import { mulberry32 } from '../data/random.ts';
import { pickRows, subsetTruth } from '../data/split.ts';
import { datasetSource } from '../data/sample-source.ts';
import type { AnomalyType, PlantedAnomalies as Planted } from '../data/planted-anomalies.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import { OneClassSVM, type GammaOption } from '../ocsvm/index.ts';
import { neuralize } from '../neuralize/neuralize.ts';
import { NearestInlier } from '../neuralize/nearest-inlier.ts';
import {
  explainOutliers,
  perPixelRelevance,
  type OutlierExplanationContext,
  type OutlierMethodName,
} from '../neuralize/outlier-methods.ts';
import { ocdtd } from '../neuralize/ocdtd.ts';
import { variantLabel, type OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';
import { variantNetwork } from '../neuralize/ocdtd-variants.ts';
import { plantedDetection } from '../metrics/planted-detection.ts';
import { localisationScores } from '../metrics/localization.ts';
import { gaussianBlur } from '../metrics/blur.ts';
import { pixelFlipping, RANDOM_METHOD, type FlipReference } from '../metrics/pixel-flipping.ts';
import { meanImage } from './evaluate-run.ts';
import { BENCHMARK_REFERENCES, OCDTD_PREFIX, type BenchmarkReference, type FeatureSpace } from './benchmark-names.ts';
import type { AnomalyBenchmark, BenchmarkExample, DetectionScores } from './benchmark-result.ts';

/** What one setting needs of the benchmark's options. */
export interface SettingOptions {
  types: AnomalyType[];
  nu: number;
  gamma: GammaOption;
  variants: OcdtdVariant[];
  baselines: OutlierMethodName[];
  composite: string;
  flipPerType: number;
  flipSteps: number;
  examplesPerType: number;
  seed: number;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

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

/** A seeded uniform random map per sample: the localisation floor. */
function randomMaps(count: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: count }, () => random());
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
  const found = plantedDetection(o, planted.types);
  return [
    { className, features, type: 'all', auc: found.auc, topShare: found.topShare },
    ...types.map((type) => ({ className, features, type, auc: found.byType.get(type) ?? NaN, topShare: NaN })),
  ];
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

export async function evaluateSetting(
  result: AnomalyBenchmark,
  r: SettingOptions,
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
  const { masks, types } = subsetTruth(planted, explained, ds.sampleShape);
  const typeOf = types as AnomalyType[];
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
      // the variant's own output comes with its relevance: one pass, not a second forward
      const { relevance, outlierness: output } = ocdtd(variantNetworks[v].network, x, {
        composite: r.composite,
        compositeOptions,
      });
      const perPixel = perPixelRelevance(relevance);
      maps.set(method, perPixel.dataSync() as Float32Array);
      perPixel.dispose();
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
    const flipValues = pickRows(
      ds.x,
      flipRows.map((s) => explained[s]),
      size,
    );
    const flipX = tf.tensor(flipValues, [flipRows.length, ...ds.sampleShape]);
    const flipAreas = new Map<string, Record<BenchmarkReference, number[]>>();
    try {
      for (const reference of BENCHMARK_REFERENCES) {
        const flipReference: FlipReference =
          reference === 'mean'
            ? { kind: 'mean', image: meanImage(datasetSource(ds)) }
            : { kind: 'blurred', images: gaussianBlur(flipValues, [height, width, channels]) };
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

function examples(
  r: SettingOptions,
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
