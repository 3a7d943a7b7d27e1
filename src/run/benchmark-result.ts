/** What the anomaly benchmark (anomaly-benchmark.ts) returns: settings, scores, and samples to show. */
import type { AnomalyType } from '../data/planted-anomalies.ts';
import type { GammaOption } from '../ocsvm/index.ts';
import type { BenchmarkReference, FeatureSpace } from './benchmark-names.ts';

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
