/**
 * `oc-explain merge`: the partial outputs of `score`, `explain` or `evaluate --shard i/k` combined
 * into the folder one process would have written, file for file and byte for byte.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { MARKER_FILE, checkOutputFolder, writeDirAtomic, type OutputFormat } from '../io/output-folder.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import { INPUTS_DIR, RELEVANCE_JSON, RELEVANCE_NPY, methodFolderName } from '../explain/relevance-output.ts';
import { EXPLAIN_FILE } from './write-explanations.ts';
import {
  EVALUATION_FILE,
  formatEvaluationFile,
  mergeEvaluationRecords,
  type EvaluationRecord,
} from './evaluation-output.ts';
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
        writeSync(fd, `${SCORES_HEADER}\n`);
        for (const { dir: part, manifest } of parts) {
          const text = readPartFile(part, SCORES_FILE);
          if (!text.startsWith(`${SCORES_HEADER}\n`))
            throw new UserError(`merge: ${join(part, SCORES_FILE)} has no scores header`);
          const body = text.slice(SCORES_HEADER.length + 1);
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

/** Every file directly in `from` whose name passes `keep`, copied into `to` (made if missing). */
function copyFiles(from: string, to: string, keep: (name: string) => boolean): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from).sort()) if (keep(name)) copyFileSync(join(from, name), join(to, name));
}

interface ExplainSummary {
  methods: string[];
  samples: unknown[];
}

/**
 * explain: explain.json and every method's relevance.json with the samples in shard order,
 * relevance.npy concatenated along the samples (the same writer, so the same header), the
 * heat-map and input PNGs of every part.
 */
async function mergeExplanations(parts: Part[], out: string): Promise<void> {
  const summaries = parts.map((p) => JSON.parse(readPartFile(p.dir, EXPLAIN_FILE)) as ExplainSummary);
  const merged = { ...summaries[0], samples: summaries.flatMap((s) => s.samples) };
  await writeDirAtomic(
    out,
    'explanations',
    async (dir) => {
      for (const { dir: part } of parts)
        copyFiles(join(part, INPUTS_DIR), join(dir, INPUTS_DIR), (name) => name.endsWith('.png'));
      for (const method of merged.methods) {
        const folder = methodFolderName(method);
        const target = join(dir, folder);
        copyFiles(join(parts[0].dir, folder), target, (name) => name === MARKER_FILE || name === 'colour-bar.png');
        for (const { dir: part } of parts)
          copyFiles(join(part, folder), target, (name) => /^sample-.*\.png$/.test(name));
        const arrays = parts.map((p) => readNpy(join(p.dir, folder, RELEVANCE_NPY)));
        const [, height, width] = arrays[0].shape;
        const n = arrays.reduce((sum, a) => sum + a.shape[0], 0);
        const data = new Float32Array(n * height * width);
        arrays.reduce((at, a) => (data.set(a.data, at), at + a.data.length), 0);
        await writeNpy(join(target, RELEVANCE_NPY), data, [n, height, width]);
        const records = parts.map(
          (p) =>
            JSON.parse(readPartFile(join(p.dir, folder), RELEVANCE_JSON)) as { shape: number[]; samples: unknown[] },
        );
        const json = { ...records[0], shape: [n, height, width], samples: records.flatMap((r) => r.samples) };
        await writeFile(join(target, RELEVANCE_JSON), JSON.stringify(json) + '\n');
      }
      await writeFile(join(dir, EXPLAIN_FILE), JSON.stringify(merged, null, 2) + '\n');
    },
    { inputs: parts.map((p) => p.dir) },
  );
}

/** evaluate: the samples in shard order, every method's curve recomputed from the samples' curves. */
async function mergeEvaluations(parts: Part[], out: string): Promise<void> {
  const records = parts.map((p) => JSON.parse(readPartFile(p.dir, EVALUATION_FILE)) as EvaluationRecord);
  const merged = mergeEvaluationRecords(records);
  await writeDirAtomic(
    out,
    'evaluation',
    async (dir) => {
      await writeFile(join(dir, EVALUATION_FILE), formatEvaluationFile(merged));
    },
    { inputs: parts.map((p) => p.dir) },
  );
}

/** The output format of each command's folder. */
const FORMATS: Record<string, OutputFormat> = { score: 'scores', explain: 'explanations', evaluate: 'evaluation' };

const MERGERS: Record<string, (parts: Part[], out: string) => Promise<void>> = {
  score: mergeScores,
  explain: mergeExplanations,
  evaluate: mergeEvaluations,
};
