/** Reads test/fixtures/ocsvm-libsvm.json (made by make_ocsvm_fixtures.py) and its data sets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnistPixels } from './mnist-pixels.ts';

export interface FixtureCase {
  name: string;
  kernel: 'rbf' | 'laplacian';
  nu: number;
  gammaOption: number | 'scale';
  gamma: number;
  rho: number;
  supportIndices: number[];
  dualCoef: number[];
  decisionTrain: number[];
  decisionTest: number[];
}

interface FixtureSet {
  n: number;
  d: number;
  nTest: number;
  sum: number;
  x?: number[];
  test?: number[];
}

export interface Fixtures {
  tol: number;
  sklearn: string;
  datasets: Record<string, FixtureSet>;
  cases: FixtureCase[];
}

export interface Data {
  data: Float32Array;
  n: number;
  d: number;
}

let mnistCache: Data | null = null;
function mnist(n: number): Data {
  if (!mnistCache || mnistCache.n < n) mnistCache = loadMnistPixels(n);
  return mnistCache;
}

export function readFixtures(): Fixtures {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ocsvm-libsvm.json'), 'utf8')) as Fixtures;
}

/** Training and test matrices of a fixture data set, and the sum of the training values. */
export function fixtureData(f: Fixtures, name: string): { train: Data; test: Data; sum: number } {
  const s = f.datasets[name];
  if (s.x && s.test) {
    return {
      train: { data: Float32Array.from(s.x), n: s.n, d: s.d },
      test: { data: Float32Array.from(s.test), n: s.nTest, d: s.d },
      sum: s.sum,
    };
  }
  const all = mnist(s.n + s.nTest);
  return {
    train: { data: all.data.slice(0, s.n * s.d), n: s.n, d: s.d },
    test: { data: all.data.slice(s.n * s.d), n: s.nTest, d: s.d },
    sum: s.sum,
  };
}
