/**
 * Anomalies with a known ground truth: artefacts painted into images of one class, with the mask
 * of exactly the pixels that changed. Outlier detectors are scored on which samples were planted,
 * outlier explanations on how well their relevance covers the mask.
 *
 * Images hold values in [0, 1] (dark background, bright strokes, as MNIST); an artefact writes the
 * same value into every channel of a pixel. Sizes scale with the image's shorter side (28 → as
 * written below). The mask is the set of pixels whose value differs after planting, so a blob
 * pixel that was already white is not in it; a planting that changes too few pixels is retried
 * elsewhere.
 */
import { UserError } from '../errors.ts';
import { isImageSet, sampleSize, type Dataset } from './dataset.ts';
import { mulberry32, shuffleInPlace } from './random.ts';

export const ANOMALY_TYPES = ['blob', 'scratch', 'occlusion', 'fragment', 'noise'] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface PlantOptions {
  /** share of the samples to corrupt, in (0, 1]; round(rate × n) of them, at least one */
  rate: number;
  /** the artefacts to plant, assigned in turn so that each appears about equally (default all) */
  types?: readonly AnomalyType[];
  seed: number;
  /**
   * images of other classes (same sample shape, row-major like Dataset.x) whose strokes `fragment`
   * pastes in; required when `types` holds 'fragment'
   */
  donors?: Float32Array;
}

export interface PlantedAnomalies {
  /** a copy of the data set with the planted samples corrupted (labels and order unchanged) */
  dataset: Dataset;
  /** n × height × width: 1 where planting changed the pixel (any channel), else 0 */
  masks: Uint8Array;
  /** the artefact planted into each sample, or null for a clean one */
  types: (AnomalyType | null)[];
  /** the indices of the corrupted samples, ascending */
  planted: number[];
}

/** At least this share of the image's pixels must change, or the artefact is placed elsewhere. */
const MIN_CHANGED_SHARE = 10 / 784;
const MAX_TRIES = 200;

/** One image being edited: pixel values per channel, with a shared write for all channels. */
interface Canvas {
  height: number;
  width: number;
  channels: number;
  values: Float32Array;
  /** the size unit: the shorter side over 28, so artefacts look alike on larger images */
  unit: number;
  random: () => number;
}

function intensity(c: Canvas, r: number, col: number): number {
  let s = 0;
  for (let k = 0; k < c.channels; k++) s += c.values[(r * c.width + col) * c.channels + k];
  return s / c.channels;
}

function paint(c: Canvas, r: number, col: number, value: number): void {
  if (r < 0 || col < 0 || r >= c.height || col >= c.width) return;
  for (let k = 0; k < c.channels; k++) c.values[(r * c.width + col) * c.channels + k] = value;
}

function randomInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** A bright disc, radius 2–4 units, anywhere in the image; each pixel becomes max(old, level). */
function blob(c: Canvas): void {
  const radius = (2 + 2 * c.random()) * c.unit;
  const r0 = randomInt(c.random, 0, c.height - 1);
  const c0 = randomInt(c.random, 0, c.width - 1);
  const level = 0.8 + 0.2 * c.random();
  for (let r = Math.floor(r0 - radius); r <= r0 + radius; r++) {
    for (let col = Math.floor(c0 - radius); col <= c0 + radius; col++) {
      if ((r - r0) ** 2 + (col - c0) ** 2 > radius * radius) continue;
      if (r >= 0 && col >= 0 && r < c.height && col < c.width) paint(c, r, col, Math.max(intensity(c, r, col), level));
    }
  }
}

/** A white line one pixel wide, 8–20 units long, at any angle (a DDA walk, one pixel per step). */
function scratch(c: Canvas): void {
  const length = (8 + 12 * c.random()) * c.unit;
  const angle = Math.PI * c.random();
  const r0 = c.random() * (c.height - 1);
  const c0 = c.random() * (c.width - 1);
  const dr = Math.sin(angle);
  const dc = Math.cos(angle);
  const steps = Math.ceil(length / Math.max(Math.abs(dr), Math.abs(dc)));
  const step = length / steps;
  for (let s = 0; s <= steps; s++) {
    paint(c, Math.round(r0 + s * step * dr), Math.round(c0 + s * step * dc), 1);
  }
}

/** A black rectangle, 5–10 units a side, centred on a stroke pixel: part of the digit is erased. */
function occlusion(c: Canvas): void {
  const strokes: number[] = [];
  for (let p = 0; p < c.height * c.width; p++) {
    if (intensity(c, Math.floor(p / c.width), p % c.width) > 0.5) strokes.push(p);
  }
  if (strokes.length === 0) return;
  const centre = strokes[Math.floor(c.random() * strokes.length)];
  const h = Math.round((5 + 5 * c.random()) * c.unit);
  const w = Math.round((5 + 5 * c.random()) * c.unit);
  const r0 = Math.floor(centre / c.width) - Math.floor(h / 2);
  const c0 = (centre % c.width) - Math.floor(w / 2);
  for (let r = r0; r < r0 + h; r++) for (let col = c0; col < c0 + w; col++) paint(c, r, col, 0);
}

/**
 * The strokes of a square window, 8–12 units a side, of an image of another class, laid over a
 * random place of this one (each pixel becomes the brighter of the two).
 */
function fragment(c: Canvas, donors: Float32Array): void {
  const size = sampleSizeOf(c);
  const donorCount = donors.length / size;
  const pick = Math.floor(c.random() * donorCount) * size;
  const side = Math.min(Math.round((8 + 4 * c.random()) * c.unit), c.height, c.width);
  const fromR = randomInt(c.random, 0, c.height - side);
  const fromC = randomInt(c.random, 0, c.width - side);
  const toR = randomInt(c.random, 0, c.height - side);
  const toC = randomInt(c.random, 0, c.width - side);
  for (let r = 0; r < side; r++) {
    for (let col = 0; col < side; col++) {
      for (let k = 0; k < c.channels; k++) {
        const at = ((toR + r) * c.width + toC + col) * c.channels + k;
        const from = pick + ((fromR + r) * c.width + fromC + col) * c.channels + k;
        c.values[at] = Math.max(c.values[at], donors[from]);
      }
    }
  }
}

/** A square, 5–10 units a side, of uniform random values in [0, 1). */
function noise(c: Canvas): void {
  const side = Math.min(Math.round((5 + 5 * c.random()) * c.unit), c.height, c.width);
  const r0 = randomInt(c.random, 0, c.height - side);
  const c0 = randomInt(c.random, 0, c.width - side);
  for (let r = r0; r < r0 + side; r++) for (let col = c0; col < c0 + side; col++) paint(c, r, col, c.random());
}

function sampleSizeOf(c: Canvas): number {
  return c.height * c.width * c.channels;
}

function checkOptions(dataset: Dataset, options: PlantOptions): readonly AnomalyType[] {
  if (!isImageSet(dataset)) {
    throw new UserError(`planted anomalies need images; ${dataset.source} holds vectors`);
  }
  if (!(options.rate > 0 && options.rate <= 1)) {
    throw new UserError(`anomaly rate must be in (0, 1], got ${options.rate}`);
  }
  const types = options.types ?? ANOMALY_TYPES;
  if (types.length === 0) throw new UserError('choose at least one anomaly type');
  for (const t of types) {
    if (!ANOMALY_TYPES.includes(t)) {
      throw new UserError(`unknown anomaly type '${t}' (one of ${ANOMALY_TYPES.join(', ')})`);
    }
  }
  if (types.includes('fragment')) {
    const size = sampleSize(dataset);
    if (!options.donors || options.donors.length === 0 || options.donors.length % size !== 0) {
      throw new UserError('the fragment anomaly needs donor images of other classes, of the same size');
    }
  }
  return types;
}

/**
 * Corrupt round(rate × n) randomly chosen samples of `dataset`, each with one artefact (types in
 * turn over the shuffled choice), and return the corrupted copy with the masks of changed pixels.
 * The same seed gives the same samples, artefacts and masks.
 */
export function plantAnomalies(dataset: Dataset, options: PlantOptions): PlantedAnomalies {
  const types = checkOptions(dataset, options);
  const [height, width, channels] = dataset.sampleShape;
  const size = sampleSize(dataset);
  const pixels = height * width;
  const random = mulberry32(options.seed);
  const count = Math.max(1, Math.round(options.rate * dataset.n));
  const chosen = shuffleInPlace(
    Array.from({ length: dataset.n }, (_, i) => i),
    random,
  ).slice(0, count);

  const x = dataset.x.slice();
  const masks = new Uint8Array(dataset.n * pixels);
  const sampleTypes: (AnomalyType | null)[] = new Array<AnomalyType | null>(dataset.n).fill(null);
  const minChanged = Math.max(1, Math.round(MIN_CHANGED_SHARE * pixels));
  const unit = Math.min(height, width) / 28;
  chosen.forEach((i, k) => {
    const type = types[k % types.length];
    const original = dataset.x.subarray(i * size, (i + 1) * size);
    let changed = 0;
    for (let attempt = 0; attempt < MAX_TRIES && changed < minChanged; attempt++) {
      const canvas: Canvas = { height, width, channels, values: original.slice(), unit, random };
      if (type === 'blob') blob(canvas);
      else if (type === 'scratch') scratch(canvas);
      else if (type === 'occlusion') occlusion(canvas);
      else if (type === 'fragment') fragment(canvas, options.donors as Float32Array);
      else noise(canvas);
      changed = markChanges(original, canvas.values, channels, masks.subarray(i * pixels, (i + 1) * pixels));
      if (changed >= minChanged) x.set(canvas.values, i * size);
    }
    if (changed < minChanged) {
      throw new UserError(`could not plant a '${type}' that changes ${minChanged} pixels of sample ${i}`);
    }
    sampleTypes[i] = type;
  });
  return {
    dataset: {
      ...dataset,
      x,
      sampleShape: [...dataset.sampleShape],
      labels: dataset.labels ? dataset.labels.slice() : null,
      classNames: [...dataset.classNames],
    },
    masks,
    types: sampleTypes,
    planted: [...chosen].sort((a, b) => a - b),
  };
}

/** Write 1 into `mask` where any channel of the pixel differs; return how many pixels differ. */
function markChanges(before: Float32Array, after: Float32Array, channels: number, mask: Uint8Array): number {
  let changed = 0;
  for (let p = 0; p < mask.length; p++) {
    let differs = 0;
    for (let k = 0; k < channels; k++) if (before[p * channels + k] !== after[p * channels + k]) differs = 1;
    mask[p] = differs;
    changed += differs;
  }
  return changed;
}
