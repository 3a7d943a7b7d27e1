/**
 * ReportData: the plain object the HTML report is made from. The pipeline fills it; the report
 * only checks shapes and renders. Every string in it is treated as untrusted text.
 */
import { UserError } from '../errors.ts';
import type { PixelFlippingResult } from '../metrics/pixel-flipping.ts';

/** An input sample as a Dataset row holds it: height × width × channels, values in [0, 1]. */
export interface SampleImage {
  height: number;
  width: number;
  channels: number;
  pixels: Float32Array;
}

/** One method's relevance map of a sample: [height, width] row-major, same size as the image. */
export interface MethodMap {
  method: string;
  values: Float32Array;
}

export interface RunInfo {
  /** page title (default 'oc-explain report') */
  title?: string;
  /** what was loaded, e.g. 'mnist' or 'png:digits/' */
  data: string;
  nTrain: number;
  nTest?: number;
  /** e.g. 'cnn conv2 (128 features)' or 'pixels' */
  features: string;
  /** e.g. 'gaussian', 'laplacian', 'p=1.5' */
  kernel: string;
  nu: number;
  /** γ, support vectors and θ of the run's one SVM (absent when it has one per class: see `models`) */
  gamma?: number;
  nSupportVectors?: number;
  /** θ: outlier iff o(x) > θ */
  threshold?: number;
  /** one SVM per class (--per-class): each one's facts */
  models?: Array<{ className: string; nTrain: number; nSupportVectors: number; gamma: number; threshold: number }>;
  trainingSeconds: number;
  /** ROC AUC of o(x) when labels exist */
  rocAuc?: number | null;
  /** further name → value lines shown in the run table (e.g. normal class, seed) */
  details?: Array<{ name: string; value: string }>;
}

export interface OutlierRow {
  /** index of the sample in its data set */
  index: number;
  /** where the sample is in the user's files (PNG path, CSV line) */
  name?: string;
  label: string | null;
  /** a heading shown above this row when it differs from the previous row's (e.g. 'class 3') */
  group?: string;
  /** rank among the samples its SVM ranks (1 = most anomalous) */
  rank?: number;
  /** planted anomalies: the artefact (null: an untouched sample) and the mask of changed pixels [h × w] */
  planted?: { type: string | null; mask: Uint8Array };
  /** o(x) */
  outlierness: number;
  /** f(x) of the SVM (negative for outliers) */
  decision: number;
  image: SampleImage;
  /** one map per explanation method; OC-DTD is shown first whatever the order */
  maps: MethodMap[];
}

export interface ClassifierRow {
  index: number;
  label: string | null;
  predicted: string;
  /** the explained logit */
  logit: number;
  image: SampleImage;
  maps: MethodMap[];
  /** this sample's pixel-flipping area per method (see areasOfSample) */
  areas?: Record<string, number>;
}

export interface ClassifierSection {
  /** e.g. 'cnn, test accuracy 98.9 %' */
  description?: string;
  rows: ClassifierRow[];
  flipping?: PixelFlippingResult | null;
}

export interface ClusterSample {
  index: number;
  label: string | null;
  image: SampleImage;
  /** NEON relevance map of the cluster assignment */
  map: Float32Array;
}

export interface ClusterExplanation {
  cluster: string;
  size: number;
  samples: ClusterSample[];
}

/** Anomalies planted by the data spec: how well they were found, and the planted samples explained. */
export interface PlantedSection {
  description: string;
  /** name → value lines (ROC AUC planted vs clean, share among the top k, …) */
  detection: Array<{ name: string; value: string }>;
  /** planted samples, best ranked first */
  rows: OutlierRow[];
}

/** A table of scores, as text cells; `best` marks cells [row, column] to show in bold. */
export interface ScoreTable {
  caption: string;
  header: string[];
  rows: string[][];
  best?: Array<[number, number]>;
}

/** A sample with its ground-truth mask (height × width, 1 inside) and the maps of several methods. */
export interface MaskedExample {
  caption: string;
  index: number;
  image: SampleImage;
  mask: Uint8Array;
  maps: MethodMap[];
}

/** Explanations scored against ground-truth masks: score tables and outlined examples. */
export interface MaskScores {
  tables: ScoreTable[];
  examples: MaskedExample[];
}

export interface ReportData {
  run: RunInfo;
  /** top outliers, most outlying first (per class, grouped, for a run with one SVM per class) */
  outliers: OutlierRow[];
  planted?: PlantedSection | null;
  /** pixel flipping of the outlier explanations (score o(x)) */
  outlierFlipping?: PixelFlippingResult | null;
  classifier?: ClassifierSection | null;
  /** NEON explanations, when clusters were computed */
  clusters?: ClusterExplanation[] | null;
  /** the maps scored against the user's masks (evaluate/report --masks) */
  masks?: MaskScores | null;
  /** shown in the footer; default: the time the report is rendered */
  generatedAt?: string;
}

function checkImage(image: SampleImage, where: string): void {
  if (image.pixels.length !== image.height * image.width * image.channels) {
    throw new UserError(
      `report: ${where}: image has ${image.pixels.length} values, expected ${image.height}×${image.width}×${image.channels}`,
    );
  }
}

function checkMask(row: OutlierRow, where: string): void {
  if (row.planted && row.planted.mask.length !== row.image.height * row.image.width)
    throw new UserError(
      `report: ${where}: mask has ${row.planted.mask.length} values, expected ${row.image.height}×${row.image.width}`,
    );
}

function checkMap(values: Float32Array, image: SampleImage, where: string): void {
  if (values.length !== image.height * image.width) {
    throw new UserError(
      `report: ${where}: map has ${values.length} values, expected ${image.height}×${image.width} like its image`,
    );
  }
}

/** Throws a UserError naming the row and method of the first inconsistent shape. */
export function validateReportData(data: ReportData): void {
  [...data.outliers, ...(data.planted?.rows ?? [])].forEach((row, r) => {
    checkImage(row.image, `outlier row ${r} (sample ${row.index})`);
    checkMask(row, `outlier row ${r} (sample ${row.index})`);
    for (const m of row.maps)
      checkMap(m.values, row.image, `outlier row ${r} (sample ${row.index}), method '${m.method}'`);
  });
  data.classifier?.rows.forEach((row, r) => {
    checkImage(row.image, `classifier row ${r} (sample ${row.index})`);
    for (const m of row.maps)
      checkMap(m.values, row.image, `classifier row ${r} (sample ${row.index}), method '${m.method}'`);
  });
  data.clusters?.forEach((cluster) =>
    cluster.samples.forEach((s) => {
      checkImage(s.image, `cluster '${cluster.cluster}' (sample ${s.index})`);
      checkMap(s.map, s.image, `cluster '${cluster.cluster}' (sample ${s.index})`);
    }),
  );
}

/** Pixel-flipping area of sample `i` per method (for ClassifierRow.areas). */
export function areasOfSample(result: PixelFlippingResult, i: number): Record<string, number> {
  if (!(Number.isInteger(i) && i >= 0 && i < result.nSamples)) {
    throw new UserError(`report: sample ${i} is not among the ${result.nSamples} flipped samples`);
  }
  return Object.fromEntries(result.curves.map((c) => [c.method, c.areas[i]]));
}

/** Method names in first-seen order, with OC-DTD first. */
export function orderMethods(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const isOcDtd = (name: string) => /^oc[-_ ]?dtd/i.test(name);
  return [...unique.filter(isOcDtd), ...unique.filter((n) => !isOcDtd(n))];
}
