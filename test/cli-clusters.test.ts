/**
 * `oc-explain clusters` end to end on a tiny pixel run: the centroids and assignments equal
 * ml-kmeans run here on the same pixels and seed; the explained samples are each cluster's members
 * nearest its centroid (brute force); NEON conserves: every written map sums to f_c(x) computed by
 * plain loops from the centroids; bad input stops with one message and writes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmeans } from 'ml-kmeans';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadDataset } from '../src/data/data-spec.ts';
import { readNpy } from '../src/io/npy.ts';
import { cli, cliInProcess, errorLines, type CliResult } from './helpers/run-cli.ts';

const DATA = 'mnist:0,6,limit=120';
const K = 3;
const EXPLAIN = 4;
let root: string;
let runDir: string;
let outDir: string;
let result: CliResult;
let summary: any;

beforeAll(async () => {
  await initRuntime({ quiet: true, backend: 'wasm' });
  root = mkdtempSync(join(tmpdir(), 'oc-clusters-'));
  runDir = join(root, 'run');
  outDir = join(root, 'clusters');
  const trained = await cli('train', '--data', DATA, '--features', 'pixels', '--out', runDir);
  expect(trained.code, trained.stderr).toBe(0);
  result = await cli(
    'clusters',
    runDir,
    '--k',
    String(K),
    '--explain',
    String(EXPLAIN),
    '--seed',
    '3',
    '--out',
    outDir,
  );
  expect(result.code, result.stderr).toBe(0);
  summary = JSON.parse(readFileSync(join(outDir, 'clusters.json'), 'utf8'));
}, 90_000);

const rows = (x: Float32Array, n: number, d: number) =>
  Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d)));
const squaredDistance = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let t = 0; t < a.length; t++) s += (a[t] - b[t]) ** 2;
  return s;
};

describe('oc-explain clusters', () => {
  it('writes one folder per cluster, the inputs, the centroids and clusters.json', () => {
    expect(readdirSync(outDir).sort()).toEqual(
      [
        ...Array.from({ length: K }, (_, c) => `cluster-${c}`),
        'centroids.npy',
        'clusters.json',
        'inputs',
        'oc-explain-output.json',
      ].sort(),
    );
    expect(readdirSync(root).sort()).toEqual(['clusters', 'run']);
  });

  it('centroids and assignments equal ml-kmeans on the same pixels and seed', () => {
    const ds = loadDataset(DATA);
    const expected = kmeans(rows(ds.x, ds.n, 784), K, { seed: 3, initialization: 'kmeans++' });
    const centroids = readNpy(join(outDir, 'centroids.npy'));
    expect(centroids.shape).toEqual([K, 784]);
    expected.centroids.forEach((mu, c) =>
      mu.forEach((v, t) => expect(Math.abs(centroids.data[c * 784 + t] - v)).toBeLessThan(1e-6)),
    );
    expect(summary.assignments).toEqual(expected.clusters);
    summary.clusters.forEach((c: any) => expect(c.size).toBe(expected.clusters.filter((a) => a === c.cluster).length));
  });

  it("explains each cluster's members nearest its centroid, and counts their labels", () => {
    const ds = loadDataset(DATA);
    const centroids = readNpy(join(outDir, 'centroids.npy')).data;
    for (const c of summary.clusters) {
      const mu = centroids.subarray(c.cluster * 784, (c.cluster + 1) * 784);
      const members = summary.assignments
        .map((a: number, i: number) => (a === c.cluster ? i : -1))
        .filter((i: number) => i >= 0);
      const byDistance = members
        .map((i: number) => ({ i, d: squaredDistance(ds.x.subarray(i * 784, (i + 1) * 784), mu) }))
        .sort((a: any, b: any) => a.d - b.d || a.i - b.i);
      expect(c.explained).toEqual(byDistance.slice(0, EXPLAIN).map((m: any) => m.i));
      const labels: Record<string, number> = {};
      for (const i of members) labels[String(ds.labels![i])] = (labels[String(ds.labels![i])] ?? 0) + 1;
      expect(c.labels).toEqual(labels);
    }
  });

  it('NEON conserves: every map sums to f_c(x) = min over k ≠ c of ‖x − μ_k‖² − ‖x − μ_c‖²', () => {
    const ds = loadDataset(DATA);
    const centroids = readNpy(join(outDir, 'centroids.npy')).data;
    const mu = (k: number) => centroids.subarray(k * 784, (k + 1) * 784);
    for (const c of summary.clusters) {
      const maps = readNpy(join(outDir, `cluster-${c.cluster}`, 'relevance.npy'));
      c.explained.forEach((index: number, n: number) => {
        const x = ds.x.subarray(index * 784, (index + 1) * 784);
        const own = squaredDistance(x, mu(c.cluster));
        let logit = Infinity;
        for (let k = 0; k < K; k++) if (k !== c.cluster) logit = Math.min(logit, squaredDistance(x, mu(k)) - own);
        const sum = maps.data.subarray(n * 784, (n + 1) * 784).reduce((a, b) => a + b, 0);
        expect(logit).toBeGreaterThan(0);
        expect(Math.abs(sum - logit)).toBeLessThan(1e-3 * Math.max(1, logit));
      });
    }
  });

  it('prints size, label make-up and conservation per cluster', () => {
    const lines = result.stdout.trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual([
      'cluster',
      'size',
      'labels',
      'explained',
      'Σ f_c(x)',
      'Σ R',
      'max |ΣR − f_c|',
    ]);
    summary.clusters.forEach((c: any, k: number) => {
      const cells = lines[k + 1].trim().split(/\s{2,}/);
      expect(cells[0]).toBe(String(c.cluster));
      expect(cells[1]).toBe(String(c.size));
      expect(Number(cells[6])).toBeLessThan(1e-3 * Number(cells[4]));
    });
  });
});

describe('oc-explain clusters: bad input', () => {
  it.each([
    [['--k', '1'], '--k must be a whole number ≥ 2'],
    [['--explain', '0'], '--explain must be a whole number ≥ 1'],
    [['--composite', 'lrp:wild'], "unknown LRP method 'lrp:wild'"],
    [['--k', '500'], '--k 500: the run has only 120 samples'],
  ])('%j → one message, nothing written', async (args, message) => {
    const out = join(root, 'bad');
    const r = await cliInProcess('clusters', runDir, '--out', out, ...args);
    expect(r.code).not.toBe(0);
    const lines = errorLines(r);
    expect(lines.length, r.stderr).toBe(1);
    expect(lines[0]).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a missing run folder → one message', async () => {
    const r = await cliInProcess('clusters', join(root, 'nowhere'), '--out', join(root, 'bad'));
    expect(r.code).not.toBe(0);
    expect(errorLines(r).length).toBe(1);
  });
});
