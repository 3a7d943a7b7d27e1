/**
 * Pixel flipping of many samples in parts: each part is a set of samples with its own score
 * function (e.g. the logit of one class), flipped by one `pixelFlipping` call; the parts' curves are
 * put back together in sample order. Parts also give the caller a point to report progress.
 */
import { tf } from '../runtime/runtime.ts';
import {
  flippingCurve,
  pixelFlipping,
  samplesWithoutSpan,
  type FlipReference,
  type MethodRelevance,
  type PixelFlippingOptions,
  type PixelFlippingResult,
  type ScoreFunction,
} from './pixel-flipping.ts';
import { pickRows } from '../data/split.ts';

export interface FlipPart {
  /** sample rows (0…N−1) flipped in this part */
  rows: number[];
  score: ScoreFunction;
}

export interface FlipPartsInput {
  /** N samples of `sampleShape`, row-major */
  values: Float32Array;
  sampleShape: readonly number[];
  /** relevance maps [N, H, W] per method */
  methods: MethodRelevance[];
  reference: FlipReference;
}

export interface FlipPartsOptions extends Omit<PixelFlippingOptions, 'reference'> {
  /** called after every part with the number of samples done */
  onProgress?: (done: number) => void;
}

/** Split `rows` into consecutive pieces of at most `size`. */
export function chunks(rows: number[], size: number): number[][] {
  const out: number[][] = [];
  for (let start = 0; start < rows.length; start += size) out.push(rows.slice(start, start + size));
  return out;
}

function partReference(reference: FlipReference, rows: number[], size: number): FlipReference {
  return reference.kind === 'nearest' || reference.kind === 'blurred'
    ? { kind: reference.kind, images: pickRows(reference.images, rows, size) }
    : reference;
}

/** Flip every part (seeds `seed + part`) and merge the curves back into sample order. */
export async function flipInParts(
  parts: FlipPart[],
  input: FlipPartsInput,
  options: FlipPartsOptions = {},
): Promise<PixelFlippingResult> {
  const size = input.sampleShape.reduce((a, b) => a * b, 1);
  const [height, width] = [input.sampleShape[0], input.sampleShape[1]];
  const mapSize = height * width;
  const n = parts.reduce((a, p) => a + p.rows.length, 0);
  const names = [...input.methods.map((m) => m.method)];
  const perSample: number[][][] = [];
  let fractions: number[] = [];
  let done = 0;
  let last: PixelFlippingResult | null = null;
  for (const [p, part] of parts.entries()) {
    const methods = input.methods.map(({ method, relevance }) => ({
      method,
      relevance: pickRows(relevance, part.rows, mapSize),
    }));
    const x = tf.tensor(pickRows(input.values, part.rows, size), [part.rows.length, ...input.sampleShape]);
    try {
      last = await pixelFlipping(part.score, x, methods, {
        ...options,
        reference: partReference(input.reference, part.rows, size),
        seed: (options.seed ?? 0) + p,
      });
    } finally {
      x.dispose();
    }
    fractions = last.fractions;
    last.curves.forEach((curve, m) => {
      if (p === 0) {
        perSample.push(new Array<number[]>(n));
        if (m >= names.length) names.push(curve.method);
      }
      part.rows.forEach((row, k) => (perSample[m][row] = curve.perSample[k]));
    });
    done += part.rows.length;
    options.onProgress?.(done);
  }
  if (!last) throw new Error('flipInParts: no part to flip');
  const curves = names.map((method, m) => flippingCurve(method, fractions, perSample[m], last.normalize));
  return {
    fractions,
    curves,
    patchSize: last.patchSize,
    reference: last.reference,
    normalize: last.normalize,
    nSamples: n,
    withoutSpan: samplesWithoutSpan(curves[0]),
  };
}
