/**
 * The anomaly benchmark's names and defaults, for CLI help and parsing (light: no tfjs). The
 * benchmark itself: anomaly-benchmark.ts.
 */
import type { OutlierMethodName } from '../neuralize/method-names.ts';
import { DEFAULT_OCDTD_VARIANT, OCDTD_VARIANT_NAMES } from '../neuralize/ocdtd-variant-names.ts';

export const FEATURE_SPACES = ['pixels', 'cnn'] as const;
export type FeatureSpace = (typeof FEATURE_SPACES)[number];
export const BENCHMARK_REFERENCES = ['mean', 'blurred'] as const;
export type BenchmarkReference = (typeof BENCHMARK_REFERENCES)[number];
export const BENCHMARK_BASELINES = ['sa', 'gi', 'ig', 'nn', 'edge'] as const satisfies readonly OutlierMethodName[];

/** The OC-DTD variants the benchmark scores unless told otherwise: every named one, the hull with each deep path. */
export const DEFAULT_BENCHMARK_VARIANTS: readonly string[] = [
  ...OCDTD_VARIANT_NAMES.filter((name) => name !== DEFAULT_OCDTD_VARIANT),
  `${DEFAULT_OCDTD_VARIANT}:deep=lrp`,
  `${DEFAULT_OCDTD_VARIANT}:deep=images`,
  DEFAULT_OCDTD_VARIANT,
];

/** Benchmark methods that are OC-DTD variants are named 'ocdtd:' + the variant's label. */
export const OCDTD_PREFIX = 'ocdtd:';
