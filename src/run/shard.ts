/**
 * Sharded work: `--shard i/k` makes a command process slice i of k of its work list (samples to
 * score, explain or flip) and write a partial output with a manifest, shard.json; `merge` checks
 * that the partial outputs are the k slices of one job and combines them into exactly what one
 * process would have written. Slice i of N items is [⌊i·N/k⌋, ⌊(i+1)·N/k⌋): consecutive, every
 * item in exactly one slice, sizes differing by at most one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export const SHARD_FILE = 'shard.json';
export const SHARD_FORMAT = 'oc-explain-shard';
export const SHARD_VERSION = 1;

export interface Shard {
  index: number;
  count: number;
}

/** 'i/k' with whole numbers 0 ≤ i < k (Kubernetes' JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID count from 0 when asked to). */
export function parseShard(text: string, option = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count))
    throw new UserError(
      `${option} must be i/k with whole numbers 0 ≤ i < k, e.g. 0/4 for the first of 4 (got '${text}')`,
    );
  return { index, count };
}

/** The slice [from, to) of `total` items that shard `shard` processes. */
export function shardRange(total: number, shard: Shard): { from: number; to: number } {
  return {
    from: Math.floor((shard.index * total) / shard.count),
    to: Math.floor(((shard.index + 1) * total) / shard.count),
  };
}

export interface ShardManifest {
  format: typeof SHARD_FORMAT;
  version: number;
  /** the command that wrote the part: 'score', 'explain' or 'evaluate' */
  command: string;
  shard: Shard;
  /** the part's slice of the work list */
  from: number;
  to: number;
  /** items in the whole work list */
  total: number;
  /** everything that defines the job (run, data, options): equal in every part of one job */
  job: unknown;
}

export function shardManifest(command: string, shard: Shard, total: number, job: unknown): ShardManifest {
  return { format: SHARD_FORMAT, version: SHARD_VERSION, command, shard, ...shardRange(total, shard), total, job };
}

export function formatShardManifest(manifest: ShardManifest): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

function readManifest(dir: string): ShardManifest {
  const path = join(dir, SHARD_FILE);
  if (!existsSync(path))
    throw new UserError(
      `${dir} is not a partial output of a sharded command: it has no ${SHARD_FILE} (run the command with --shard i/k)`,
    );
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as ShardManifest;
  } catch (e) {
    throw new UserError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (manifest?.format !== SHARD_FORMAT || manifest.version !== SHARD_VERSION)
    throw new UserError(`${path} is not an oc-explain shard manifest of version ${SHARD_VERSION}`);
  return manifest;
}

/**
 * The manifests of the partial outputs `dirs`, in shard order, checked to be all k parts of one job:
 * the same command and job, every shard index once, slices that tile the work list.
 */
export function readShardParts(dirs: readonly string[]): Array<{ dir: string; manifest: ShardManifest }> {
  if (dirs.length === 0) throw new UserError('merge: give the partial output folders to merge');
  const parts = dirs.map((dir) => ({ dir, manifest: readManifest(dir) }));
  const first = parts[0].manifest;
  const firstJob = JSON.stringify(first.job);
  for (const { dir, manifest } of parts) {
    if (manifest.command !== first.command)
      throw new UserError(`merge: ${dir} is a part of '${manifest.command}', ${parts[0].dir} of '${first.command}'`);
    if (
      JSON.stringify(manifest.job) !== firstJob ||
      manifest.total !== first.total ||
      manifest.shard.count !== first.shard.count
    )
      throw new UserError(`merge: ${dir} and ${parts[0].dir} are parts of different jobs (other run, data or options)`);
  }
  const k = first.shard.count;
  const byIndex = new Map<number, string>();
  for (const { dir, manifest } of parts) {
    const twin = byIndex.get(manifest.shard.index);
    if (twin !== undefined)
      throw new UserError(`merge: ${twin} and ${dir} are both shard ${manifest.shard.index}/${k}`);
    byIndex.set(manifest.shard.index, dir);
  }
  const missing = Array.from({ length: k }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new UserError(
      `merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${k}`).join(', ')} missing (${parts.length} of ${k} given)`,
    );
  const sorted = [...parts].sort((a, b) => a.manifest.shard.index - b.manifest.shard.index);
  sorted.forEach(({ dir, manifest }) => {
    const want = shardRange(manifest.total, manifest.shard);
    if (manifest.from !== want.from || manifest.to !== want.to)
      throw new UserError(
        `merge: ${dir} holds items [${manifest.from}, ${manifest.to}), not shard ${manifest.shard.index}/${k}'s slice`,
      );
  });
  return sorted;
}
