/**
 * A run's outlier explanations scored against the user's own ground-truth masks (`evaluate
 * --masks`, `report --masks`): pixel ROC AUC and top-|mask| precision per method and sample, with a
 * seeded random map as the floor.
 */
import { mulberry32 } from '../data/random.ts';
import type { SampleMasks } from '../data/mask-folder.ts';
import { UserError } from '../errors.ts';
import { localisationScores } from '../metrics/localization.ts';
import { RANDOM_METHOD } from '../metrics/pixel-flipping.ts';
import type { OutlierMethodName } from '../neuralize/outlier-methods.ts';
import type { MaskScores } from '../report/report-data.ts';
import { mapShape } from '../data/dataset.ts';
import type { ExplainOptions, MethodMaps, RunExplainer } from './run-explainer.ts';
import { sampleImage } from './sample-image.ts';

export interface MethodMaskScores {
  method: string;
  /** per masked sample */
  auc: number[];
  precision: number[];
  meanAuc: number;
  meanPrecision: number;
}

export interface MaskEvaluation {
  indices: number[];
  scores: MethodMaskScores[];
  explanations: MethodMaps[];
  masks: SampleMasks;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function evaluateAgainstMasks(
  explainer: RunExplainer,
  masks: SampleMasks,
  methods: readonly OutlierMethodName[],
  options: ExplainOptions & { seed?: number } = {},
): MaskEvaluation {
  const [height, width] = mapShape(explainer.run.dataset.sampleShape);
  if (height !== masks.height || width !== masks.width) {
    throw new UserError(`the masks are ${masks.width}×${masks.height}; the run's maps are ${width}×${height}`);
  }
  const pixels = height * width;
  const explanations = explainer.explain(masks.indices, methods, options);
  const random = mulberry32(options.seed ?? 0);
  const floor = Float32Array.from({ length: masks.indices.length * pixels }, () => random());
  const scores = [
    ...explanations.map((e) => ({ method: e.method as string, maps: e.maps })),
    { method: RANDOM_METHOD, maps: floor },
  ].map(({ method, maps }) => {
    const { auc, precision } = localisationScores(maps, masks.masks, pixels);
    return { method, auc, precision, meanAuc: mean(auc), meanPrecision: mean(precision) };
  });
  return { indices: [...masks.indices], scores, explanations, masks };
}

/** The table rows: method, mean pixel AUC, mean precision, samples. */
export function maskTableRows(evaluation: MaskEvaluation): { header: string[]; rows: string[][] } {
  return {
    header: ['method', 'pixel AUC', 'precision', 'samples'],
    rows: evaluation.scores.map((s) => [
      s.method,
      s.meanAuc.toFixed(4),
      s.meanPrecision.toFixed(4),
      String(evaluation.indices.length),
    ]),
  };
}

/** The report's section: the table and the first `examples` masked samples with every map. */
export function maskScoresForReport(explainer: RunExplainer, evaluation: MaskEvaluation, examples = 8): MaskScores {
  const { header, rows } = maskTableRows(evaluation);
  const pixels = evaluation.masks.height * evaluation.masks.width;
  const best: Array<[number, number]> = [1, 2].map((column) => {
    let at = 0;
    evaluation.scores.forEach((s, r) => {
      const value = column === 1 ? s.meanAuc : s.meanPrecision;
      const top = column === 1 ? evaluation.scores[at].meanAuc : evaluation.scores[at].meanPrecision;
      if (value > top) at = r;
    });
    return [at, column];
  });
  return {
    tables: [{ caption: 'mean over the masked samples; random: a seeded random map (the floor)', header, rows, best }],
    examples: evaluation.indices.slice(0, examples).map((index, k) => ({
      caption: `#${index}`,
      index,
      image: sampleImage(explainer, index),
      mask: evaluation.masks.masks.slice(k * pixels, (k + 1) * pixels),
      maps: evaluation.explanations.map((e) => ({
        method: e.method,
        values: e.maps.slice(k * pixels, (k + 1) * pixels),
      })),
    })),
  };
}
