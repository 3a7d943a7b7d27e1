/**
 * Many random bad invocations (seeded): unknown flags, missing options, bad values, truncated and
 * missing files, hostile output places, mutated from cheap valid command lines. Each must exit 0 or
 * 2; on exit 2 say one line (after at most a few progress lines, no stack trace) and leave every
 * file as it was; on exit 0 write nothing but its --out.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/data/random.ts';
import { cli, cliInProcess, errorLines, isProgressLine, type CliResult } from './helpers/run-cli.ts';
import { fileTree, writeSmallPngFolder } from './helpers/cli-fixtures.ts';

const IN_PROCESS = 80;
const THROUGH_BINARY = 3;

let root: string;
const at = (...parts: string[]) => join(root, ...parts);

/** Every file below the sandbox with a hash of its content (folders as such). */
function snapshot(): Map<string, string> {
  return new Map(
    fileTree(root).map((path) => {
      const full = at(path);
      return [path, statSync(full).isDirectory() ? 'dir' : createHash('sha1').update(readFileSync(full)).digest('hex')];
    }),
  );
}

/** A copy of `file` cut to a third of its length. */
function truncated(file: string, name: string): string {
  const bytes = readFileSync(file);
  writeFileSync(at(name), bytes.subarray(0, Math.floor(bytes.length / 3)));
  return at(name);
}

/** A copy of folder `dir` with its file `inside` cut to a third. */
function folderWithTruncated(dir: string, inside: string, name: string): string {
  cpSync(dir, at(name), { recursive: true });
  const bytes = readFileSync(join(dir, inside));
  writeFileSync(at(name, inside), bytes.subarray(0, Math.floor(bytes.length / 3)));
  return at(name);
}

interface Fixtures {
  csv: string;
  run: string;
  model: string;
  badData: string[];
  badRuns: string[];
  badModels: string[];
  userFolder: string;
  aFile: string;
}
let f: Fixtures;

type Option = {
  flag: string;
  value: string;
  kind: 'count' | 'number' | 'name' | 'data' | 'run' | 'model' | 'out' | 'flag';
};
interface Invocation {
  command: string;
  run?: boolean;
  options: Option[];
}

/** Cheap valid command lines (tiny data, pixel features, few steps). */
function bases(): Invocation[] {
  const data = `csv:${f.csv},label=last`;
  const o = (flag: string, value: string, kind: Option['kind']): Option => ({ flag, value, kind });
  return [
    {
      command: 'train',
      options: [
        o('--data', data, 'data'),
        o('--features', 'pixels', 'name'),
        o('--nu', '0.2', 'number'),
        o('--gamma', 'scale', 'number'),
        o('--out', 'OUT', 'out'),
      ],
    },
    {
      command: 'explain',
      run: true,
      options: [
        o('--top', '2', 'count'),
        o('--method', 'nn,ocdtd', 'name'),
        o('--ig-steps', '4', 'count'),
        o('--out', 'OUT', 'out'),
      ],
    },
    {
      command: 'evaluate',
      run: true,
      options: [
        o('--top', '2', 'count'),
        o('--methods', 'nn', 'name'),
        o('--steps', '4', 'count'),
        o('--reference', 'zero', 'name'),
        o('--json', '', 'flag'),
      ],
    },
    { command: 'outliers', run: true, options: [o('--top', '3', 'count'), o('--json', '', 'flag')] },
    {
      command: 'clusters',
      run: true,
      options: [
        o('--k', '2', 'count'),
        o('--explain', '1', 'count'),
        o('--beta', '1', 'number'),
        o('--out', 'OUT', 'out'),
      ],
    },
    {
      command: 'report',
      run: true,
      options: [
        o('--top', '1', 'count'),
        o('--methods', 'nn', 'name'),
        o('--classifier-samples', '0', 'count'),
        o('--steps', '4', 'count'),
        o('--out', 'OUT.html', 'out'),
      ],
    },
    {
      command: 'explain-classifier',
      options: [
        o('--model', f.model, 'model'),
        o('--data', data, 'data'),
        o('--first', '2', 'count'),
        o('--method', 'gradient', 'name'),
        o('--out', 'OUT', 'out'),
      ],
    },
    {
      command: 'train-features',
      options: [
        o('--data', data, 'data'),
        o('--network', 'mlp', 'name'),
        o('--epochs', '1', 'count'),
        o('--held-out', '0.3', 'number'),
        o('--out', 'OUT', 'out'),
      ],
    },
  ];
}

const BAD: Record<Option['kind'], string[]> = {
  count: ['0', '-1', '2.5', 'abc', '', 'NaN', '1e309', ' '],
  number: ['0', '-1', 'abc', '', 'NaN', '1e-300', '1e309', '2'],
  name: ['nonsense', '', 'lrp:', 'nn,nn', 'edge,,nn', 'random', 'lrp:epsilon=-1', '\u202e'],
  data: [
    'csv:',
    'tiff:x',
    'mnist:12',
    'csv:/no/such.csv',
    'png:/no/such/dir',
    'csv:FILE,shape=3x3',
    'csv:FILE,label=nope',
  ],
  run: [],
  model: ['/no/such/model', 'FILE'],
  out: ['.', '..', 'USER', 'FILE', '/sys/oc-explain-fuzz/out', 'RUN'],
  flag: [],
};

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** One mutated command line (argv) and the --out it names, from the seeded generator. */
function mutate(random: () => number, k: number): { argv: string[]; out: string | null } {
  const base = pick(random, bases());
  let runArg = base.run ? f.run : null;
  const options = base.options.map((o) => ({ ...o, value: o.value.replace('OUT', at(`out-${k}`)) }));
  const extra: string[] = [];
  const mutations = 1 + Math.floor(random() * 2);
  for (let m = 0; m < mutations; m++) {
    const what = Math.floor(random() * 6);
    if (what === 0)
      extra.push(pick(random, ['--bogus', '--Top', '-x', '--out-dir', '--features=cnn2', '--', '--help2']));
    else if (what === 1 && options.length > 0) options.splice(Math.floor(random() * options.length), 1);
    else if (what === 2 && runArg !== null)
      runArg = pick(random, [...f.badRuns, '/no/such/run', f.userFolder, f.aFile]);
    else {
      const o = pick(random, options);
      if (!o) continue;
      const pool =
        o.kind === 'data'
          ? [...BAD.data, ...f.badData.map((d) => `${d.startsWith('png') ? '' : 'csv:'}${d}`)]
          : o.kind === 'model'
            ? [...BAD.model, ...f.badModels]
            : BAD[o.kind];
      if (pool.length === 0) continue;
      o.value = pick(random, pool).replace('FILE', f.aFile).replace('USER', f.userFolder).replace('RUN', f.run);
    }
  }
  const argv = [base.command, ...(runArg !== null ? [runArg] : [])];
  for (const o of options) argv.push(...(o.kind === 'flag' ? [o.flag] : [o.flag, o.value]));
  argv.push(...extra);
  const out = options.find((o) => o.kind === 'out')?.value ?? null;
  return { argv, out };
}

function check(argv: string[], out: string | null, before: Map<string, string>, r: CliResult): void {
  const what = `${JSON.stringify(argv)} → ${r.code}\n${r.stderr}`;
  expect([0, 2], what).toContain(r.code);
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  const after = snapshot();
  const ours = out === null ? null : relative(root, out).replace(/\/+$/, '');
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  if (r.code === 2) {
    expect(errorLines(r), what).toHaveLength(1);
    expect(r.stderr.split('\n').filter((l) => l !== '').length, what).toBeLessThanOrEqual(6);
    expect(changed, what).toEqual([]);
  } else {
    expect(
      r.stderr
        .split('\n')
        .filter((l) => l !== '' && !isProgressLine(l) && !l.startsWith('oc-explain: ') && !/^epoch \d+:/.test(l)),
      what,
    ).toEqual([]);
    for (const p of changed)
      expect(ours !== null && (p === ours || p.startsWith(`${ours}/`)), `${what}\nchanged ${p}`).toBe(true);
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-fuzz-'));
  const rows = Array.from({ length: 24 }, (_, i) =>
    [...Array.from({ length: 16 }, (_, j) => ((i * 7 + j * 3) % 11) / 10), i % 2 ? 'odd' : 'even'].join(','),
  );
  writeFileSync(at('tiny.csv'), rows.join('\n') + '\n');
  writeFileSync(at('a-file.txt'), 'a file, not a folder\n');
  const images = writeSmallPngFolder(at('images'), 6, 3);
  mkdirSync(at('user', 'src'), { recursive: true });
  writeFileSync(at('user', 'config.json'), '{}');
  writeFileSync(at('user', 'src', 'a.py'), 'print(1)\n');
  const run = at('run');
  const model = at('model');
  for (const args of [
    ['train', '--data', `csv:${at('tiny.csv')},label=last`, '--features', 'pixels', '--nu', '0.2', '--out', run],
    [
      'train-features',
      '--data',
      `csv:${at('tiny.csv')},label=last`,
      '--network',
      'mlp',
      '--epochs',
      '1',
      '--held-out',
      '0.3',
      '--out',
      model,
    ],
  ]) {
    const r = await cliInProcess(...args);
    expect(r.code, r.stderr).toBe(0);
  }
  const brokenImages = at('images-broken');
  cpSync(images, brokenImages, { recursive: true });
  copyFileSync(truncated(join(images, 'bar', '0.png'), 'cut.png'), join(brokenImages, 'bar', '0.png'));
  f = {
    csv: at('tiny.csv'),
    run,
    model,
    badData: [truncated(at('tiny.csv'), 'cut.csv'), `png:${brokenImages}`],
    badRuns: ['scores.csv', 'ocsvm.json', 'config.json'].map((file) =>
      folderWithTruncated(run, file, `run-cut-${file}`),
    ),
    badModels: ['model.json', 'weights.bin'].map((file) => folderWithTruncated(model, file, `model-cut-${file}`)),
    userFolder: at('user'),
    aFile: at('a-file.txt'),
  };
});

describe('random bad invocations', () => {
  it(`${IN_PROCESS} in this process: exit 0 or 2, one line, no file left behind`, async () => {
    const random = mulberry32(20261201);
    let refused = 0;
    for (let k = 0; k < IN_PROCESS; k++) {
      const { argv, out } = mutate(random, k);
      const before = snapshot();
      const r = await cliInProcess(...argv);
      check(argv, out, before, r);
      if (r.code === 2) refused++;
    }
    // the mutations really are mostly bad
    expect(refused).toBeGreaterThan(IN_PROCESS / 2);
  });

  it(`${THROUGH_BINARY} through the real binary`, async () => {
    const random = mulberry32(7);
    for (let k = 0; k < THROUGH_BINARY; k++) {
      const { argv, out } = mutate(random, 1000 + k);
      const before = snapshot();
      check(argv, out, before, await cli(...argv));
    }
  });
});
