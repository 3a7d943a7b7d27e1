/**
 * scores.csv: one row per sample — index, name (where the sample is in the user's files: PNG
 * path, CSV line), label (empty without labels), decision value (against the sample's own class
 * model with --per-class).
 */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { splitCsvLine } from '../data/csv.ts';
import { sampleName, type Dataset } from '../data/dataset.ts';

/** The header line of scores.csv. */
export const SCORES_HEADER = 'index,name,label,decision';

export interface SampleScore {
  index: number;
  name: string;
  label: string;
  decision: number;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** What a row says of its sample besides the score (a Dataset or a SampleSource). */
export type ScoredSamples = Pick<Dataset, 'labels' | 'classNames' | 'names'>;

/** The rows of samples from, from + 1, … with these decision values, each ending in a line break. */
export function formatScoreRows(from: number, decision: ArrayLike<number>, samples: ScoredSamples): string {
  let rows = '';
  for (let k = 0; k < decision.length; k++) {
    const i = from + k;
    const label = samples.labels ? csvCell(samples.classNames[samples.labels[i]]) : '';
    rows += `${i},${csvCell(sampleName(samples, i))},${label},${decision[k]}\n`;
  }
  return rows;
}

export function formatScoresCsv(decision: ArrayLike<number>, samples: ScoredSamples): string {
  return `${SCORES_HEADER}\n` + formatScoreRows(0, decision, samples);
}

export function readScoresCsv(path: string): SampleScore[] {
  if (!existsSync(path)) throw new UserError(`${path} is missing: the run folder is incomplete (train it again)`);
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  if (lines[0] !== SCORES_HEADER)
    throw new UserError(`${path}: expected the header '${SCORES_HEADER}', got '${lines[0] ?? ''}'`);
  return lines.slice(1).map((line, k) => {
    const cells = splitCsvLine(line);
    const decision = Number(cells[3]);
    if (cells.length !== 4 || !/^\d+$/.test(cells[0]) || cells[3] === '' || !Number.isFinite(decision))
      throw new UserError(`${path}, line ${k + 2}: expected '${SCORES_HEADER}', got '${line}'`);
    return { index: Number(cells[0]), name: cells[1], label: cells[2], decision };
  });
}

/** The `top` samples with the lowest decision value (most anomalous first). */
export function topOutliers(scores: SampleScore[], top: number): SampleScore[] {
  return [...scores].sort((a, b) => a.decision - b.decision || a.index - b.index).slice(0, top);
}

/**
 * The samples to show or explain: the `top` outliers, or for a run with one SVM per class the
 * `top` of each class (class by class), since decision values of different SVMs do not compare.
 */
export function chosenOutliers(
  scores: SampleScore[],
  run: { perClass: boolean; classNames: readonly string[] },
  top: number,
): SampleScore[] {
  return run.perClass
    ? topOutliersByClass(scores, run.classNames, top).flatMap((g) => g.outliers)
    : topOutliers(scores, top);
}

/** The `top` outliers of each class, classes in the order of `classNames` (those with samples). */
export function topOutliersByClass(
  scores: SampleScore[],
  classNames: readonly string[],
  top: number,
): Array<{ className: string; outliers: SampleScore[] }> {
  return classNames
    .map((className) => ({
      className,
      outliers: topOutliers(
        scores.filter((s) => s.label === className),
        top,
      ),
    }))
    .filter((group) => group.outliers.length > 0);
}
