/**
 * A data set in memory: the one shape that every loader returns and every consumer reads.
 * Samples are rows of a flat Float32Array (row-major); images are stored height × width × channels.
 */
import { UserError } from '../errors.ts';
export interface Dataset {
  /** n × prod(sampleShape) values; images in [0, 1] */
  x: Float32Array;
  n: number;
  /** shape of one sample: [height, width, channels] for images, [dimension] for vectors */
  sampleShape: number[];
  /** class index per sample (into classNames), or null when the data has no labels */
  labels: Int32Array | null;
  /** class index → name (e.g. '0'…'9' for MNIST, sub-folder names for PNG folders) */
  classNames: string[];
  /** what was loaded, for reports: 'mnist', 'png:DIR', 'csv:FILE' */
  source: string;
  /**
   * where each sample is in the user's files: the PNG path relative to the folder, 'line 12' of a
   * CSV file, '3/117' for MNIST (digit file 3.json, image 117); absent for data made in memory
   */
  names?: string[];
  /** the ground truth of anomalies planted by the data spec (planted=RATE), when it planted them */
  anomalies?: PlantedTruth;
}

export interface PlantedTruth {
  /** n × height × width: 1 where planting changed the pixel */
  masks: Uint8Array;
  /** the artefact planted into each sample, or null for an untouched one */
  types: (string | null)[];
}

/** The name of sample i: its own, or '#i' for data without names. */
export function sampleName(ds: Pick<Dataset, 'names'>, i: number): string {
  return ds.names?.[i] ?? `#${i}`;
}

export function sampleSize(ds: Pick<Dataset, 'sampleShape'>): number {
  return ds.sampleShape.reduce((a, b) => a * b, 1);
}

/**
 * Height × width of the per-pixel map of one sample of this shape: images [H, W, C] and [H, W]
 * give H × W (channels summed); vectors [D] give one row of D values.
 */
export function mapShape(sampleShape: readonly number[]): [number, number] {
  if (sampleShape.length === 3 || sampleShape.length === 2) return [sampleShape[0], sampleShape[1]];
  if (sampleShape.length === 1) return [1, sampleShape[0]];
  throw new UserError(`cannot draw relevance maps for samples of shape [${sampleShape.join(', ')}]`);
}

/**
 * Maps of `n` samples per pixel of `sampleShape`: maps with one value per channel (from a network
 * that takes images flat) are summed over the channels; maps per pixel pass unchanged.
 */
export function perPixelMaps(maps: Float32Array, n: number, sampleShape: readonly number[]): Float32Array {
  const [height, width] = mapShape(sampleShape);
  const channels = maps.length / (n * height * width);
  if (channels === 1) return maps;
  const out = new Float32Array(n * height * width);
  for (let p = 0; p < out.length; p++) for (let c = 0; c < channels; c++) out[p] += maps[p * channels + c];
  return out;
}

export function isImageSet(ds: Pick<Dataset, 'sampleShape'>): boolean {
  return ds.sampleShape.length === 3;
}
