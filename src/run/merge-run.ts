/**
 * `oc-explain merge`: the partial outputs of `score`, `explain` or `evaluate --shard i/k` combined
 * into the folder one process would have written, file for file and byte for byte.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { checkOutputFolder, writeDirAtomic, type OutputFormat } from '../io/output-folder.ts';
import { SCORES_FILE } from './run-config.ts';
import { SCORE_FILE, formatScoreSummary, type ScoreSummary } from './score-run.ts';
import { SCORES_HEADER } from './scores-csv.ts';
import { readShardParts, type ShardManifest } from './shard.ts';

type Part = { dir: string; manifest: ShardManifest };

export interface MergeResult {
  command: string;
  parts: number;
  total: number;
}

export async function mergeRun(partDirs: readonly string[], out: string): Promise<MergeResult> {
  const parts = readShardParts(partDirs);
  checkOutputFolder(out, FORMATS[parts[0].manifest.command] ?? 'scores', { inputs: partDirs });
  const { command, total } = parts[0].manifest;
  const merge = MERGERS[command];
  if (!merge) throw new UserError(`merge: parts of '${command}' cannot be merged`);
  await merge(parts, out);
  return { command, parts: parts.length, total };
}

function readPartFile(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, name), 'utf8');
  } catch {
    throw new UserError(`merge: ${join(dir, name)} is missing: the part is incomplete`);
  }
}

/** score: scores.csv rows in shard order, the outlier counts summed. */
async function mergeScores(parts: Part[], out: string): Promise<void> {
  const summaries = parts.map((p) => JSON.parse(readPartFile(p.dir, SCORE_FILE)) as ScoreSummary);
  const merged: ScoreSummary = { ...summaries[0], nOutliers: summaries.reduce((s, p) => s + p.nOutliers, 0) };
  await writeDirAtomic(
    out,
    'scores',
    async (dir) => {
      const fd = openSync(join(dir, SCORES_FILE), 'w');
      try {
        writeSync(fd, SCORES_HEADER);
        for (const { dir: part, manifest } of parts) {
          const text = readPartFile(part, SCORES_FILE);
          if (!text.startsWith(SCORES_HEADER))
            throw new UserError(`merge: ${join(part, SCORES_FILE)} has no scores header`);
          const body = text.slice(SCORES_HEADER.length);
          const rows = body === '' ? 0 : body.split('\n').length - 1;
          if (rows !== manifest.to - manifest.from)
            throw new UserError(
              `merge: ${join(part, SCORES_FILE)} has ${rows} rows, its slice ${manifest.to - manifest.from}`,
            );
          writeSync(fd, body);
        }
      } finally {
        closeSync(fd);
      }
      await writeFile(join(dir, SCORE_FILE), formatScoreSummary(merged));
    },
    { inputs: parts.map((p) => p.dir) },
  );
}

/** The output format of each command's folder. */
const FORMATS: Record<string, OutputFormat> = { score: 'scores', explain: 'explanations', evaluate: 'evaluation' };

const MERGERS: Record<string, (parts: Part[], out: string) => Promise<void>> = {
  score: mergeScores,
};
