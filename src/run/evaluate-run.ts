/**
 * Pixel-flipping evaluation of a run's explanations (docs/methods.md#pixel-flipping): the outlier explanations of
 * the top outliers with score o(x), or the classifier explanations of chosen samples with score the
 * logit of their predicted class. A seeded random order is always the floor. Vector samples are
 * flipped one value at a time (a 1 × D strip, patches of one value).
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { mapShape, sampleSize } from '../data/dataset.ts';
import { batchesOf, type SampleSource } from '../data/sample-source.ts';
import type { ThreadChoice } from './threads.ts';
import type { ClassifierMethod } from '../explain/classifier-methods.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import type { OutlierMethodName } from '../neuralize/outlier-methods.ts';
import type { OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';
import type { FlipReference, PixelFlippingResult, ScoreFunction } from '../metrics/pixel-flipping.ts';
import { chunks, flipInParts, type FlipPart } from '../metrics/flip-in-parts.ts';
import type { FlipNormalization } from '../metrics/flip-normalization.ts';
import { gaussianBlur } from '../metrics/blur.ts';
import { explainRunClassifier, type RunClassifierExplanation } from './run-classifier.ts';
import type { ReferenceKind } from './reference-kinds.ts';
import type { MethodMaps, RunExplainer } from './run-explainer.ts';

/** Samples per pixelFlipping call (each with its own random-floor seed, seed + part): the unit of a shard. */
export const SAMPLES_PER_PART = 10;

export interface FlipSettings {
  reference: ReferenceKind;
  /** 'start' (default) or 'span': what a curve is scaled by before its area is taken */
  normalize?: FlipNormalization;
  /** side of the flipped square patches (default 2) */
  patchSize?: number;
  /** points of the curve (default: one patch per step) */
  steps?: number;
  /** seed of the random floor (default 0) */
  seed?: number;
  /** samples per pixelFlipping call (default SAMPLES_PER_PART): the progress granularity */
  samplesPerPart?: number;
  onProgress?: (done: number) => void;
}

/** The mean image of a data set (the whole run's, or a benchmark setting's), read a batch at a time. */
export function meanImage(dataset: SampleSource): Float32Array {
  const size = sampleSize(dataset);
  const sum = new Float64Array(size);
  for (const { x } of batchesOf(dataset, 4096))
    for (let at = 0; at < x.length; at += size) for (let j = 0; j < size; j++) sum[j] += x[at + j];
  return Float32Array.from(sum, (s) => s / dataset.n);
}

/** A reference the run's samples allow (a blur needs images), checked before any explaining. */
function checkReference(explainer: RunExplainer, kind: ReferenceKind): void {
  if (kind === 'blurred' && !explainer.imageData)
    throw new UserError(
      'reference blurred needs images, and the samples of this run are vectors; choose nearest, zero or mean (or read CSV rows as images: csv:FILE,shape=HxW)',
    );
}

/** What a flipped pixel of each chosen sample becomes. */
export function flipReference(explainer: RunExplainer, kind: ReferenceKind, indices: readonly number[]): FlipReference {
  if (kind === 'zero') return { kind: 'zero' };
  if (kind === 'mean') return { kind: 'mean', image: meanImage(explainer.run.dataset) };
  if (kind === 'blurred') {
    checkReference(explainer, kind);
    return { kind: 'blurred', images: gaussianBlur(explainer.inputs(indices), explainer.run.dataset.sampleShape) };
  }
  return { kind: 'nearest', images: explainer.nearestInlierImages(indices) };
}

/** The samples as flipping sees them: images as they are, vectors as one row of single-value pixels. */
function flipShape(explainer: RunExplainer): number[] {
  return explainer.imageData ? explainer.run.dataset.sampleShape : [1, sampleSize(explainer.run.dataset), 1];
}

/** A score on flipped samples: reshaped to what the network takes, then `score`. */
function onNetworkInput(explainer: RunExplainer, score: ScoreFunction): ScoreFunction {
  return (x) => tf.tidy(() => score(tf.reshape(x, [-1, ...explainer.inputShape])));
}

async function flip(
  explainer: RunExplainer,
  indices: readonly number[],
  methods: Array<{ method: string; maps: Float32Array }>,
  parts: FlipPart[],
  settings: FlipSettings,
): Promise<PixelFlippingResult> {
  const result = await flipInParts(
    parts,
    {
      values: explainer.inputs(indices),
      sampleShape: flipShape(explainer),
      methods: methods.map(({ method, maps }) => ({ method, relevance: maps })),
      reference: flipReference(explainer, settings.reference, indices),
    },
    {
      patchSize: explainer.imageData ? settings.patchSize : 1,
      steps: settings.steps,
      seed: settings.seed,
      normalize: settings.normalize,
      onProgress: settings.onProgress,
    },
  );
  return { ...result, samples: [...indices] };
}

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => i);

export interface OutlierEvaluation {
  indices: number[];
  explanations: MethodMaps[];
  flipping: PixelFlippingResult;
}

/**
 * Flip the outlier explanations of `indices` with score o(x). Pass `explanations` (for exactly
 * these indices) to reuse maps already computed; otherwise they are computed here.
 */
export async function evaluateOutlierExplanations(
  explainer: RunExplainer,
  indices: readonly number[],
  methods: readonly OutlierMethodName[],
  settings: FlipSettings & {
    composite?: string;
    ocdtd?: OcdtdVariant;
    gradient?: GradientOptions;
    explanations?: MethodMaps[];
    /** OC-DTD on 1 or 2 threads, or 'auto' (RunExplainer.explain) */
    threads?: ThreadChoice;
  },
): Promise<OutlierEvaluation> {
  if (indices.length === 0) throw new UserError('pixel flipping: no sample to evaluate');
  checkReference(explainer, settings.reference);
  const explanations =
    settings.explanations ??
    (await explainer.explain(indices, methods, {
      composite: settings.composite,
      ocdtd: settings.ocdtd,
      gradient: settings.gradient,
      threads: settings.threads,
    }));
  // each sample is scored by o(x) of its own model (its class's with --per-class)
  const parts = explainer.byModel(indices).flatMap(({ model, positions }) => {
    const network = explainer.models[model].network;
    const score = onNetworkInput(explainer, (x) => network.forward(x));
    return chunks(positions, settings.samplesPerPart ?? SAMPLES_PER_PART).map((rows) => ({ rows, score }));
  });
  const flipping = await flip(explainer, indices, explanations, parts, settings);
  return { indices: [...indices], explanations, flipping };
}

export interface ClassifierEvaluation {
  explanation: RunClassifierExplanation;
  /** the flipped samples: those whose predicted logit is > 0 */
  indices: number[];
  /** samples left out because their predicted logit is ≤ 0 (the curve is normalised by it) */
  skipped: number[];
  flipping: PixelFlippingResult;
}

/** The logit of class `c` of every image of a batch. */
function classLogit(network: { forward(x: tf.Tensor): tf.Tensor }, c: number): ScoreFunction {
  return (x) => tf.tidy(() => tf.reshape(tf.slice(network.forward(x), [0, c], [-1, 1]), [-1]));
}

/** Explain the predicted class of `indices` with `methods` and flip with score the predicted logit. */
export async function evaluateClassifierExplanations(
  explainer: RunExplainer,
  indices: readonly number[],
  methods: readonly ClassifierMethod[],
  settings: FlipSettings & { gradient?: GradientOptions; onExplainProgress?: (done: number) => void },
): Promise<ClassifierEvaluation> {
  checkReference(explainer, settings.reference);
  const all = explainRunClassifier(explainer, indices, methods, settings.gradient, settings.onExplainProgress);
  const keep = rowsOf(indices.length).filter((k) => all.logits[k] > 0);
  const skipped = rowsOf(indices.length)
    .filter((k) => !(all.logits[k] > 0))
    .map((k) => indices[k]);
  if (keep.length === 0)
    throw new UserError(
      `pixel flipping: none of the ${indices.length} samples has a positive predicted logit to normalise by`,
    );
  const explanation = keepRows(all, keep, explainer);
  const network = explainer.classifierNetwork!;
  // one score per predicted class: the batches of a part all explain the same logit
  const parts: FlipPart[] = [];
  for (const c of [...new Set(explanation.predicted)].sort((a, b) => a - b)) {
    const rows = rowsOf(keep.length).filter((k) => explanation.predicted[k] === c);
    for (const piece of chunks(rows, settings.samplesPerPart ?? SAMPLES_PER_PART))
      parts.push({ rows: piece, score: onNetworkInput(explainer, classLogit(network, c)) });
  }
  const flipping = await flip(explainer, explanation.indices, explanation.methods, parts, settings);
  return { explanation, indices: explanation.indices, skipped, flipping };
}

function keepRows(e: RunClassifierExplanation, keep: number[], explainer: RunExplainer): RunClassifierExplanation {
  if (keep.length === e.indices.length) return e;
  const [height, width] = mapShape(explainer.run.dataset.sampleShape);
  const size = height * width;
  return {
    indices: keep.map((k) => e.indices[k]),
    predicted: Int32Array.from(keep, (k) => e.predicted[k]),
    logits: Float32Array.from(keep, (k) => e.logits[k]),
    methods: e.methods.map(({ method, maps }) => {
      const out = new Float32Array(keep.length * size);
      keep.forEach((k, r) => out.set(maps.subarray(k * size, (k + 1) * size), r * size));
      return { method, maps: out };
    }),
  };
}
