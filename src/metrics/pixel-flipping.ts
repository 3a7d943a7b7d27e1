/**
 * Pixel flipping (docs/methods.md#pixel-flipping): remove the most relevant pixels (or patches) first, replacing
 * them with a reference, and watch the explained score fall. The faster it falls, the better the
 * explanation; a seeded random order is always run as the floor.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { mulberry32, shuffleInPlace } from '../data/random.ts';

/** Score of each sample of a batch [B, ...sampleShape] → [B] (o(x), or a class logit). */
export type ScoreFunction = (x: tf.Tensor) => tf.Tensor;

/**
 * What a flipped pixel becomes: 0, the training mean image, or a per-sample image (the nearest
 * inlier, or a blurred copy of the sample itself).
 */
export type FlipReference =
  { kind: 'zero' } | { kind: 'mean'; image: Float32Array } | { kind: 'nearest' | 'blurred'; images: Float32Array };

/**
 * How a curve is scaled before its area is taken: by the starting score (score / start), or to the
 * span between the start and the end of the flip ((score − end) / (start − end), from 1 to 0), so
 * that an offset which no flip removes (o(x) never falls below min_j b_j) does not compress the areas.
 */
export const FLIP_NORMALIZATIONS = ['start', 'span'] as const;
export type FlipNormalization = (typeof FLIP_NORMALIZATIONS)[number];

export interface MethodRelevance {
  method: string;
  /** relevance maps [N, H, W], row-major */
  relevance: Float32Array;
}

export interface PixelFlippingOptions {
  /** side of the square non-overlapping patches (default 2; 1 flips single pixels) */
  patchSize?: number;
  reference?: FlipReference;
  /** patches flipped per step (default 1); ignored when `steps` is given */
  patchesPerStep?: number;
  /** a fixed number of steps spread evenly from none to all patches */
  steps?: number;
  /** images scored per forward pass (default 256): bounds memory */
  batchSize?: number;
  /** seed of the random floor order (default 0) */
  seed?: number;
  /** 'start' (default) or 'span' */
  normalize?: FlipNormalization;
}

export interface FlippingCurve {
  method: string;
  /** score per sample and step, [N][steps + 1]; step 0 is the untouched sample */
  perSample: number[][];
  /** mean over samples of the raw score per step */
  mean: number[];
  /** mean over samples of the normalised score per step (samples without a span left out) */
  meanNormalized: number[];
  /**
   * per-sample area under the normalised score over the flipped fraction (lower is better); NaN
   * for 'span' when the flip lowers the score by less than MIN_SPAN_SHARE of its start
   */
  areas: number[];
  /** mean of the finite `areas` */
  meanArea: number;
  /** sample standard deviation of the finite `areas` (0 for a single sample) */
  stdArea: number;
}

export interface PixelFlippingResult {
  /** flipped fraction of the patches after each step, from 0 to 1 */
  fractions: number[];
  /** one curve per method in the given order, then the random floor */
  curves: FlippingCurve[];
  patchSize: number;
  reference: FlipReference['kind'];
  normalize: FlipNormalization;
  nSamples: number;
  /** samples whose areas are NaN (span normalisation, a span below MIN_SPAN_SHARE of the start): the same for every method */
  withoutSpan: number;
  /** data-set index of each flipped sample, in order, when the caller knows them */
  samples?: number[];
}

export const RANDOM_METHOD = 'random';

/** A patch as the list of pixel indices (row-major in H × W) that it covers. */
export function patchGrid(height: number, width: number, patchSize: number): number[][] {
  const patches: number[][] = [];
  for (let top = 0; top < height; top += patchSize) {
    for (let left = 0; left < width; left += patchSize) {
      const pixels: number[] = [];
      for (let r = top; r < Math.min(top + patchSize, height); r++) {
        for (let c = left; c < Math.min(left + patchSize, width); c++) pixels.push(r * width + c);
      }
      patches.push(pixels);
    }
  }
  return patches;
}

/** Patch indices by decreasing summed relevance; ties keep the lower index first. */
export function patchOrder(relevance: ArrayLike<number>, patches: number[][]): number[] {
  const sums = patches.map((pixels) => pixels.reduce((s, p) => s + relevance[p], 0));
  return patches.map((_, i) => i).sort((a, b) => sums[b] - sums[a] || a - b);
}

/** Number of patches flipped after each step, starting at 0 and ending at all of them. */
export function stepCounts(nPatches: number, options: { patchesPerStep?: number; steps?: number }): number[] {
  if (options.steps !== undefined) {
    if (!Number.isInteger(options.steps) || options.steps < 1) {
      throw new UserError(`pixel flipping: steps must be a positive integer, got ${options.steps}`);
    }
    const counts = [0];
    for (let s = 1; s <= options.steps; s++) {
      const count = Math.round((nPatches * s) / options.steps);
      if (count > counts[counts.length - 1]) counts.push(count);
    }
    return counts;
  }
  const perStep = options.patchesPerStep ?? 1;
  if (!Number.isInteger(perStep) || perStep < 1) {
    throw new UserError(`pixel flipping: patchesPerStep must be a positive integer, got ${perStep}`);
  }
  const counts = [0];
  for (let c = perStep; c < nPatches; c += perStep) counts.push(c);
  counts.push(nPatches);
  return counts;
}

/**
 * The smallest span, as a share of the starting score, that a curve is normalised by: a flip that
 * lowers the score less has nothing to measure (the reference is about as unusual as the sample),
 * and dividing by it would let a few samples dominate every mean.
 */
export const MIN_SPAN_SHARE = 0.1;

/** `scores` normalised by the start, or to the span start → end (NaN everywhere when the span is too small). */
export function normalizedScores(scores: readonly number[], normalize: FlipNormalization = 'start'): number[] {
  if (normalize === 'start') return scores.map((v) => v / scores[0]);
  const end = scores[scores.length - 1];
  const span = scores[0] - end;
  return scores.map((v) => (span > MIN_SPAN_SHARE * Math.abs(scores[0]) ? (v - end) / span : NaN));
}

/** Trapezoid area of the normalised `scores` over `fractions`. */
export function normalizedArea(fractions: number[], scores: number[], normalize: FlipNormalization = 'start'): number {
  const y = normalizedScores(scores, normalize);
  let area = 0;
  for (let s = 1; s < fractions.length; s++) {
    area += ((fractions[s] - fractions[s - 1]) * (y[s] + y[s - 1])) / 2;
  }
  return area;
}

function meanAndStd(values: number[]): { mean: number; std: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  const mean = finite.reduce((a, b) => a + b, 0) / finite.length;
  if (finite.length < 2) return { mean, std: 0 };
  const variance = finite.reduce((a, v) => a + (v - mean) ** 2, 0) / (finite.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/** A method's curve from its per-sample score rows. */
export function flippingCurve(
  method: string,
  fractions: number[],
  perSample: number[][],
  normalize: FlipNormalization = 'start',
): FlippingCurve {
  const n = perSample.length;
  const normalized = perSample.map((row) => normalizedScores(row, normalize));
  const kept = normalized.filter((row) => Number.isFinite(row[0]));
  const mean = fractions.map((_, s) => perSample.reduce((a, row) => a + row[s], 0) / n);
  const meanNormalized = fractions.map((_, s) => kept.reduce((a, row) => a + row[s], 0) / kept.length);
  const areas = perSample.map((row) => normalizedArea(fractions, row, normalize));
  const { mean: meanArea, std: stdArea } = meanAndStd(areas);
  return { method, perSample, mean, meanNormalized, areas, meanArea, stdArea };
}

/** Samples whose span normalisation is undefined (NaN areas; the same for every curve). */
export function samplesWithoutSpan(curve: FlippingCurve): number {
  return curve.areas.filter((a) => Number.isNaN(a)).length;
}

interface Layout {
  n: number;
  height: number;
  width: number;
  /** values per pixel (channels, or the product of trailing dimensions) */
  depth: number;
  size: number;
}

function layoutOf(x: tf.Tensor): Layout {
  if (x.rank < 3) {
    throw new UserError(`pixel flipping: samples must be [N, H, W] or [N, H, W, C], got shape [${x.shape}]`);
  }
  const [n, height, width, ...rest] = x.shape;
  const depth = rest.reduce((a, b) => a * b, 1);
  return { n, height, width, depth, size: height * width * depth };
}

function validate(layout: Layout, methods: MethodRelevance[], reference: FlipReference): void {
  const mapSize = layout.n * layout.height * layout.width;
  const names = new Set<string>();
  for (const { method, relevance } of methods) {
    if (method === RANDOM_METHOD)
      throw new UserError(`pixel flipping: method name '${RANDOM_METHOD}' is reserved for the random floor`);
    if (names.has(method)) throw new UserError(`pixel flipping: method '${method}' is given twice`);
    names.add(method);
    if (relevance.length !== mapSize) {
      throw new UserError(
        `pixel flipping: relevance of '${method}' has ${relevance.length} values, expected N×H×W = ${layout.n}×${layout.height}×${layout.width} = ${mapSize}`,
      );
    }
  }
  if (reference.kind === 'mean' && reference.image.length !== layout.size) {
    throw new UserError(
      `pixel flipping: mean reference image has ${reference.image.length} values, expected ${layout.size}`,
    );
  }
  if (
    (reference.kind === 'nearest' || reference.kind === 'blurred') &&
    reference.images.length !== layout.n * layout.size
  ) {
    throw new UserError(
      `pixel flipping: ${reference.kind} reference images have ${reference.images.length} values, expected N×${layout.size} = ${layout.n * layout.size}`,
    );
  }
}

/** Collects step images into fixed-size batches and scores each full batch in one forward pass. */
class BatchScorer {
  private readonly buffer: Float32Array;
  private readonly targets: Array<{ row: number[]; step: number }> = [];

  constructor(
    private readonly score: ScoreFunction,
    private readonly sampleShape: number[],
    private readonly size: number,
    private readonly capacity: number,
  ) {
    this.buffer = new Float32Array(capacity * size);
  }

  async add(image: Float32Array, row: number[], step: number): Promise<void> {
    this.buffer.set(image, this.targets.length * this.size);
    this.targets.push({ row, step });
    if (this.targets.length === this.capacity) await this.flush();
  }

  async flush(): Promise<void> {
    const count = this.targets.length;
    if (count === 0) return;
    const scores = await scoreBatch(this.score, this.buffer.subarray(0, count * this.size), [
      count,
      ...this.sampleShape,
    ]);
    this.targets.forEach(({ row, step }, i) => (row[step] = scores[i]));
    this.targets.length = 0;
  }
}

async function scoreBatch(score: ScoreFunction, values: Float32Array, shape: number[]): Promise<Float32Array> {
  const out = tf.tidy(() => score(tf.tensor(values, shape)));
  try {
    if (out.size !== shape[0]) {
      throw new UserError(
        `pixel flipping: the score function returned shape [${out.shape}] for a batch of ${shape[0]}; expected [${shape[0]}]`,
      );
    }
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * Flip the patches of every sample in the order given by each method's relevance (and in a seeded
 * random order), scoring all intermediate images in batches of `batchSize`.
 * `x` [N, H, W] or [N, H, W, C] is not disposed; flipping a pixel replaces all of its channels.
 */
export async function pixelFlipping(
  score: ScoreFunction,
  x: tf.Tensor,
  methods: MethodRelevance[],
  options: PixelFlippingOptions = {},
): Promise<PixelFlippingResult> {
  const layout = layoutOf(x);
  const reference = options.reference ?? { kind: 'zero' };
  validate(layout, methods, reference);
  const patchSize = options.patchSize ?? 2;
  if (!Number.isInteger(patchSize) || patchSize < 1) {
    throw new UserError(`pixel flipping: patchSize must be a positive integer, got ${patchSize}`);
  }
  const normalize = options.normalize ?? 'start';
  if (!(FLIP_NORMALIZATIONS as readonly string[]).includes(normalize)) {
    throw new UserError(`pixel flipping: normalisation '${normalize}' is not one of ${FLIP_NORMALIZATIONS.join(', ')}`);
  }
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UserError(`pixel flipping: batchSize must be a positive integer, got ${batchSize}`);
  }
  const { n, height, width, depth, size } = layout;
  const patches = patchGrid(height, width, patchSize);
  const counts = stepCounts(patches.length, options);
  // the fraction counts patches (border patches of a ragged grid are smaller, but every order flips them all)
  const fractions = counts.map((c) => c / patches.length);
  const samples = (await x.data()) as Float32Array;
  const sampleShape = x.shape.slice(1);

  const starts = await scoreBatch(score, samples, x.shape);
  starts.forEach((s, i) => {
    if (!(s > 0)) {
      throw new UserError(
        `pixel flipping: sample ${i} starts at score ${s}; the curve is normalised by the starting score, which must be > 0 (explain a positive score: o(x) of an outlier, or the predicted class logit)`,
      );
    }
  });

  const random = mulberry32(options.seed ?? 0);
  const orders = [
    ...methods.map(({ method, relevance }) => ({
      method,
      orderOf: (i: number) => patchOrder(relevance.subarray(i * height * width, (i + 1) * height * width), patches),
    })),
    {
      method: RANDOM_METHOD,
      orderOf: () =>
        shuffleInPlace(
          Array.from({ length: patches.length }, (_, i) => i),
          random,
        ),
    },
  ];

  const scorer = new BatchScorer(score, sampleShape, size, batchSize);
  const image = new Float32Array(size);
  const perMethod: number[][][] = [];
  for (const { orderOf } of orders) {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) {
      const row = new Array<number>(counts.length);
      row[0] = starts[i];
      rows.push(row);
      const sample = samples.subarray(i * size, (i + 1) * size);
      const replacement =
        reference.kind === 'zero'
          ? null
          : reference.kind === 'mean'
            ? reference.image
            : reference.images.subarray(i * size, (i + 1) * size); // nearest, blurred
      image.set(sample);
      const order = orderOf(i);
      for (let step = 1; step < counts.length; step++) {
        for (let k = counts[step - 1]; k < counts[step]; k++) {
          for (const pixel of patches[order[k]]) {
            for (let c = 0; c < depth; c++) image[pixel * depth + c] = replacement ? replacement[pixel * depth + c] : 0;
          }
        }
        await scorer.add(image, row, step);
      }
    }
    perMethod.push(rows);
  }
  await scorer.flush();

  const curves = orders.map(({ method }, m) => flippingCurve(method, fractions, perMethod[m], normalize));
  return {
    fractions,
    curves,
    patchSize,
    reference: reference.kind,
    normalize,
    nSamples: n,
    withoutSpan: samplesWithoutSpan(curves[0]),
  };
}

/** One row per curve for the area table, best (lowest mean area) first; the random floor included. */
export function areaTable(
  result: PixelFlippingResult,
): Array<{ method: string; meanArea: number; stdArea: number; nSamples: number }> {
  return result.curves
    .map(({ method, meanArea, stdArea }) => ({ method, meanArea, stdArea, nSamples: result.nSamples }))
    .sort((a, b) => a.meanArea - b.meanArea);
}
