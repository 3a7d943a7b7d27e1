/**
 * The anomaly benchmark's names and defaults, for CLI help and parsing (light: no tfjs). The
 * benchmark itself: anomaly-benchmark.ts.
 */
import type { OutlierMethodName } from '../neuralize/method-names.ts';

export const FEATURE_SPACES = ['pixels', 'cnn'] as const;
export type FeatureSpace = (typeof FEATURE_SPACES)[number];
export const BENCHMARK_REFERENCES = ['mean', 'blurred'] as const;
export type BenchmarkReference = (typeof BENCHMARK_REFERENCES)[number];
export const BENCHMARK_BASELINES = ['sa', 'gi', 'ig', 'nn', 'edge'] as const satisfies readonly OutlierMethodName[];

/** The OC-DTD variants the benchmark scores unless told otherwise: every named one, the hull's deep paths. */
export const DEFAULT_BENCHMARK_VARIANTS = [
  'plain',
  'self-out',
  'free',
  'sharp',
  'hard',
  'nearest',
  'excess',
  'inliers',
  'hull:deep=lrp',
  'hull:deep=images',
  'hull',
] as const;

/** Benchmark methods that are OC-DTD variants are named 'ocdtd:' + the variant's label. */
export const OCDTD_PREFIX = 'ocdtd:';
