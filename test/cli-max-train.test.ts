/**
 * `train --max-train N` fits the SVM on exactly the seeded class-stratified subsample that the
 * independent Python computation (test/fixtures/make_subsample_fixture.py) gives, and still scores
 * every sample.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadCsv } from '../src/data/csv.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { selectRows } from '../src/ocsvm/matrix.ts';
import { readScoresCsv } from '../src/run/scores-csv.ts';
import { cli } from './helpers/run-cli.ts';

interface Case {
  n: number;
  labels: number[] | null;
  size: number;
  seed: number;
  indices: number[];
}
const fixture = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'subsample.json'), 'utf8')) as { cases: Case[] }
).cases.at(-1)!;

let root: string;
let csv: string;
let result: Awaited<ReturnType<typeof cli>>;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  root = mkdtempSync(join(tmpdir(), 'oc-max-train-'));
  csv = join(root, 'd.csv');
  // 60 rows, classes a, b, c = row mod 3 (the fixture's labels), 5 features
  const rows = Array.from({ length: 60 }, (_, i) =>
    [...Array.from({ length: 5 }, (_, k) => Math.sin(i * (k + 1) * 0.7).toFixed(4)), 'abc'[i % 3]].join(','),
  );
  writeFileSync(csv, rows.join('\n') + '\n');
  result = await cli(
    'train',
    '--data',
    `csv:${csv},label=last`,
    '--features',
    'pixels',
    '--nu',
    '0.2',
    '--max-train',
    String(fixture.size),
    '--seed',
    String(fixture.seed),
    '--out',
    join(root, 'run'),
  );
});

describe('train --max-train', () => {
  it('the fixture is this data set', () => {
    expect(fixture.n).toBe(60);
    expect(fixture.labels).toEqual(Array.from({ length: 60 }, (_, i) => i % 3));
  });

  it('fits on the stated subsample: the model is a fit on exactly those rows, bit for bit', () => {
    expect(result.code, result.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(root, 'run', 'config.json'), 'utf8'));
    expect(config.models[0].nFit).toBe(fixture.size);
    expect(config.svm.maxTrain).toBe(fixture.size);
    const ds = loadCsv(csv, { label: 'last' });
    const x = { data: ds.x, n: ds.n, d: 5 };
    const model = OneClassSVM.load(join(root, 'run', 'ocsvm.json'));
    const direct = new OneClassSVM({ nu: 0.2, gamma: 'scale' }).fit(selectRows(x, fixture.indices));
    expect(model.rho).toBe(direct.rho);
    expect(Array.from(model.dualCoef)).toEqual(Array.from(direct.dualCoef));
    expect(Array.from(model.supportVectors)).toEqual(Array.from(direct.supportVectors));
    // and not a fit on some other subsample of the same size
    const other = new OneClassSVM({ nu: 0.2, gamma: 'scale' }).fit(
      selectRows(
        x,
        Array.from({ length: fixture.size }, (_, k) => k),
      ),
    );
    expect(other.rho).not.toBe(model.rho);
  });

  it('scores every sample, with the fitted model', () => {
    const scores = readScoresCsv(join(root, 'run', 'scores.csv'));
    expect(scores.length).toBe(60);
    const ds = loadCsv(csv, { label: 'last' });
    const model = OneClassSVM.load(join(root, 'run', 'ocsvm.json'));
    const f = model.decisionFunction({ data: ds.x, n: ds.n, d: 5 });
    expect(scores.map((s) => s.decision)).toEqual(Array.from(f));
  });

  it('rejects a size below 2 with one line', async () => {
    const bad = await cli(
      'train',
      '--data',
      `csv:${csv},label=last`,
      '--features',
      'pixels',
      '--max-train',
      '1',
      '--out',
      join(root, 'bad'),
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-train must be a whole number ≥ 2/);
  });
});
