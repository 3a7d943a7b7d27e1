/** scores.csv: one row per sample — index, label (empty without labels), decision value. */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';

export interface SampleScore {
  index: number;
  label: string;
  decision: number;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const SCORES_HEADER = 'index,label,decision\n';

/** The rows of samples from, from + 1, … with these decision values (labels indexed by sample). */
export function formatScoreRows(
  from: number,
  decision: ArrayLike<number>,
  labels: ArrayLike<number> | null,
  classNames: string[],
): string {
  let rows = '';
  for (let k = 0; k < decision.length; k++) {
    const i = from + k;
    const label = labels ? csvCell(classNames[labels[i]]) : '';
    rows += `${i},${label},${decision[k]}\n`;
  }
  return rows;
}

export function formatScoresCsv(
  decision: ArrayLike<number>,
  labels: ArrayLike<number> | null,
  classNames: string[],
): string {
  return SCORES_HEADER + formatScoreRows(0, decision, labels, classNames);
}

function parseRow(line: string): [string, string, string] | null {
  const m = /^(\d+),("(?:[^"]|"")*"|[^,]*),([^,]+)$/.exec(line);
  if (!m) return null;
  const label = m[2].startsWith('"') ? m[2].slice(1, -1).replaceAll('""', '"') : m[2];
  return [m[1], label, m[3]];
}

export function readScoresCsv(path: string): SampleScore[] {
  if (!existsSync(path)) throw new UserError(`${path} is missing: the run folder is incomplete (train it again)`);
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  if (lines[0] !== 'index,label,decision')
    throw new UserError(`${path}: expected the header 'index,label,decision', got '${lines[0] ?? ''}'`);
  return lines.slice(1).map((line, k) => {
    const row = parseRow(line);
    const decision = row ? Number(row[2]) : NaN;
    if (!row || !Number.isFinite(decision))
      throw new UserError(`${path}, line ${k + 2}: expected 'index,label,decision', got '${line}'`);
    return { index: Number(row[0]), label: row[1], decision };
  });
}

/** The `top` samples with the lowest decision value (most anomalous first). */
export function topOutliers(scores: SampleScore[], top: number): SampleScore[] {
  return [...scores].sort((a, b) => a.decision - b.decision || a.index - b.index).slice(0, top);
}
