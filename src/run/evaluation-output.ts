/**
 * What `evaluate` reports: the flipped samples, the area table and the curves — printed with
 * --json, and with --out written as evaluation.json together with every sample's curve, so that
 * the parts of `evaluate --shard i/k` can be merged into exactly the file one process writes (the
 * curves' means and areas are recomputed from the samples' curves, in sample order, as flipping
 * itself computes them).
 */
import {
  areaTable,
  flippingCurve,
  samplesWithoutSpan,
  type FlipNormalization,
  type PixelFlippingResult,
} from '../metrics/pixel-flipping.ts';

export const EVALUATION_FILE = 'evaluation.json';

export interface EvaluationHead {
  run: string;
  mode: 'outliers' | 'classifier';
  score: string;
  composite?: string;
  /** outliers: the OC-DTD variant explained */
  ocdtd?: string;
}

export interface EvaluationRecord extends EvaluationHead {
  samples: Array<Record<string, unknown>>;
  skipped: number[];
  patchSize: number;
  reference: string;
  normalize: FlipNormalization;
  fractions: number[];
  areas: ReturnType<typeof areaTable>;
  curves: Array<{ method: string; meanNormalized: number[]; areas: number[]; perSample?: number[][] }>;
}

/** The record of a flipping result; `perSample` adds each sample's curve (what merging needs). */
export function evaluationRecord(
  head: EvaluationHead,
  samples: Array<Record<string, unknown>>,
  skipped: number[],
  flipping: PixelFlippingResult,
  perSample: boolean,
): EvaluationRecord {
  return {
    ...head,
    samples,
    skipped,
    patchSize: flipping.patchSize,
    reference: flipping.reference,
    normalize: flipping.normalize,
    fractions: flipping.fractions,
    areas: areaTable(flipping),
    curves: flipping.curves.map((c) => ({
      method: c.method,
      meanNormalized: c.meanNormalized,
      areas: c.areas,
      ...(perSample ? { perSample: c.perSample } : {}),
    })),
  };
}

export function formatEvaluationFile(record: EvaluationRecord): string {
  return JSON.stringify(record) + '\n';
}

/** The record of all samples of `parts` (each with per-sample curves), in the parts' order. */
export function mergeEvaluationRecords(parts: readonly EvaluationRecord[]): EvaluationRecord {
  const first = parts[0];
  const fractions = first.fractions;
  const curves = first.curves.map(({ method }, m) =>
    flippingCurve(
      method,
      fractions,
      parts.flatMap((p) => p.curves[m].perSample!),
      first.normalize,
    ),
  );
  const nSamples = curves[0].perSample.length;
  const flipping: PixelFlippingResult = {
    fractions,
    curves,
    patchSize: first.patchSize,
    reference: first.reference as PixelFlippingResult['reference'],
    normalize: first.normalize,
    nSamples,
    withoutSpan: samplesWithoutSpan(curves[0]),
  };
  const head: EvaluationHead = { run: first.run, mode: first.mode, score: first.score };
  if (first.composite !== undefined) head.composite = first.composite;
  if (first.ocdtd !== undefined) head.ocdtd = first.ocdtd;
  return evaluationRecord(
    head,
    parts.flatMap((p) => p.samples),
    parts.flatMap((p) => p.skipped),
    flipping,
    true,
  );
}
