/**
 * Sharded work: `score`, `explain` and `evaluate --shard i/k` on an MLP run, merged with `merge`,
 * give exactly the folder one process writes — every file, byte for byte (scores, NPY, JSON, PNG,
 * markers) — whatever the batch size and thread count of each part; and `merge` refuses parts that
 * do not make one whole job.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliInProcess, errorLines } from './helpers/run-cli.ts';

let root: string;
let run: string;

/** Every file below `dir` (relative path → bytes). */
function tree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return files;
}

function expectSameTree(merged: string, single: string): void {
  const a = tree(merged);
  const b = tree(single);
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, bytes] of b) expect(a.get(name)!.equals(bytes), name).toBe(true);
}

async function ok(...args: string[]): Promise<void> {
  const result = await cliInProcess(...args);
  expect(result.code, result.stderr).toBe(0);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-shard-'));
  run = join(root, 'run');
  const trained = await cli(
    'train',
    '--data',
    'mnist:0,6,limit=160',
    '--features',
    'mlp',
    '--epochs',
    '1',
    '--nu',
    '0.2',
    '--out',
    run,
  );
  expect(trained.code, trained.stderr).toBe(0);
});

describe('--shard i/k and merge', () => {
  it('score: three parts (other batch sizes, one on two threads) merge into the one-process folder', async () => {
    await ok('score', run, '--threads', '1', '--out', join(root, 'score'));
    await ok('score', run, '--shard', '0/3', '--threads', '2', '--out', join(root, 'score-0'));
    await ok('score', run, '--shard', '1/3', '--batch', '7', '--out', join(root, 'score-1'));
    await ok('score', run, '--shard', '2/3', '--batch', '50', '--out', join(root, 'score-2'));
    expect(existsSync(join(root, 'score-1', 'shard.json'))).toBe(true);
    await ok(
      'merge',
      join(root, 'score-2'),
      join(root, 'score-0'),
      join(root, 'score-1'),
      '--out',
      join(root, 'score-merged'),
    );
    expectSameTree(join(root, 'score-merged'), join(root, 'score'));
    // and the scores are the ones train wrote
    expect(readFileSync(join(root, 'score', 'scores.csv'), 'utf8')).toBe(readFileSync(join(run, 'scores.csv'), 'utf8'));
  });

  it('explain: two parts (one with OC-DTD on two threads) merge into the one-process folder (NPY, JSON, heat maps, inputs)', async () => {
    const args = ['explain', run, '--top', '5', '--method', 'ocdtd,gi,nn'];
    await ok(...args, '--out', join(root, 'explain'));
    await ok(...args, '--shard', '1/2', '--threads', '2', '--out', join(root, 'explain-1'));
    await ok(...args, '--shard', '0/2', '--out', join(root, 'explain-0'));
    await ok('merge', join(root, 'explain-0'), join(root, 'explain-1'), '--out', join(root, 'explain-merged'));
    expectSameTree(join(root, 'explain-merged'), join(root, 'explain'));
  });

  it('evaluate: parts of whole 10-sample parts (random floor included) merge into the one-process evaluation', async () => {
    const args = ['evaluate', run, '--top', '25', '--methods', 'ocdtd,gi', '--patch', '4'];
    await ok(...args, '--out', join(root, 'evaluate'));
    await ok(...args, '--shard', '0/2', '--out', join(root, 'evaluate-0'));
    await ok(...args, '--shard', '1/2', '--out', join(root, 'evaluate-1'));
    await ok('merge', join(root, 'evaluate-1'), join(root, 'evaluate-0'), '--out', join(root, 'evaluate-merged'));
    expectSameTree(join(root, 'evaluate-merged'), join(root, 'evaluate'));
    const record = JSON.parse(readFileSync(join(root, 'evaluate', 'evaluation.json'), 'utf8'));
    expect(record.samples.length).toBe(25);
    expect(record.curves.map((c: { method: string }) => c.method)).toEqual(['ocdtd', 'gi', 'random']);
  });

  it('merge refuses a missing part, a part given twice and parts of another job, with one line and no output', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[join(root, 'score-0'), join(root, 'score-2')], /shard 1\/3 missing/],
      [[join(root, 'score-0'), join(root, 'score-0'), join(root, 'score-1')], /are both shard 0\/3/],
      [[join(root, 'score-0'), join(root, 'explain-1')], /is a part of 'explain'/],
      [[join(root, 'score')], /has no shard\.json/],
    ];
    for (const [parts, message] of cases) {
      const out = join(root, 'refused');
      const result = await cliInProcess('merge', ...parts, '--out', out);
      expect(result.code).toBe(2);
      expect(errorLines(result)).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
