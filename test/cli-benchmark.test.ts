/**
 * `oc-explain benchmark` on a tiny pixel setting (its folder, its scores against an independent
 * recomputation of the planted masks, its HTML page), and `evaluate --masks png:DIR`: the user's
 * masks read from PNG files and scored against the maps `explain` writes, by a pair-count loop.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.ts';
import { cli, cliInProcess, errorLines } from './helpers/run-cli.ts';
import { encodeRawPng } from './helpers/raw-png.ts';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'oc-explain-benchmark-'));
});

/** Over every (inside, outside) pair: 1 when the inside pixel is more relevant, ½ on a tie. */
function pairAuc(relevance: ArrayLike<number>, mask: ArrayLike<number>): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    for (let j = 0; j < mask.length; j++) {
      if (mask[j]) continue;
      pairs++;
      wins += relevance[i] > relevance[j] ? 1 : relevance[i] === relevance[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('benchmark', () => {
  it('writes benchmark.json and report.html; the model-free floors sit where they must', async () => {
    const out = join(root, 'bench');
    const result = await cli(
      'benchmark',
      '--features',
      'pixels',
      '--classes',
      '1',
      '--per-class',
      '60',
      '--rate',
      '0.25',
      '--ocdtd',
      'plain;hull:k=3',
      '--baselines',
      'nn,edge',
      '--flip',
      '1',
      '--out',
      out,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/pixels features/);
    const saved = JSON.parse(readFileSync(join(out, 'benchmark.json'), 'utf8'));
    expect(saved.settings.methods).toEqual(['ocdtd:plain', 'ocdtd:hull:k=3', 'nn', 'edge', 'random']);
    // 15 planted samples, 3 of each type; one row per method and type
    expect(saved.scores).toHaveLength(5 * 5);
    for (const row of saved.scores) {
      expect(row.samples).toBe(3);
      expect(row.pixelAuc).toBeGreaterThanOrEqual(0);
      expect(row.pixelAuc).toBeLessThanOrEqual(1);
    }
    const auc = (method: string, type: string) =>
      saved.scores.find((r: { method: string; type: string }) => r.method === method && r.type === type).pixelAuc;
    // a bright blob away from the strokes: the nearest-inlier difference finds it; random does not
    expect(auc('nn', 'blob')).toBeGreaterThan(0.8);
    expect(Math.abs(auc('random', 'blob') - 0.5)).toBeLessThan(0.15);
    const page = readFileSync(join(out, 'report.html'), 'utf8');
    expect(page).toMatch(/mask outlined/);
    for (const type of ['blob', 'scratch', 'occlusion', 'fragment', 'noise'])
      expect(page).toContain(`<h3>${type}</h3>`);
  });

  it('refuses an unknown class, type or variant with one line, and writes nothing', async () => {
    for (const [args, message] of [
      [['--classes', 'x'], /no class 'x'/],
      [['--types', 'smudge'], /smudge/],
      [['--ocdtd', 'plain;best'], /best/],
    ] as const) {
      const out = join(root, `bad-${message.source.length}`);
      const result = await cliInProcess('benchmark', '--features', 'pixels', ...args, '--out', out);
      expect(result.code).toBe(2);
      expect(errorLines(result)).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('evaluate --masks', () => {
  const side = 28;
  let runDir: string;
  let maskDir: string;
  const masked = [3, 17, 40];
  /** a different rectangle per sample */
  const maskOf = (k: number) =>
    Uint8Array.from({ length: side * side }, (_, p) => {
      const [r, c] = [Math.floor(p / side), p % side];
      return r >= 4 + 3 * k && r < 12 + 3 * k && c >= 6 && c < 16 + k ? 1 : 0;
    });

  beforeAll(async () => {
    runDir = join(root, 'run');
    const trained = await cli('train', '--data', 'mnist:1,limit=80', '--features', 'pixels', '--out', runDir);
    expect(trained.code, trained.stderr).toBe(0);
    maskDir = join(root, 'masks');
    mkdirSync(maskDir);
    masked.forEach((index, k) => {
      // grey + alpha, mask pixels 255, others 0: the alpha channel must not count
      const samples = new Uint8Array(side * side * 2);
      maskOf(k).forEach((m, p) => {
        samples[2 * p] = m ? 255 : 0;
        samples[2 * p + 1] = 255;
      });
      writeFileSync(join(maskDir, `${index}.png`), encodeRawPng(side, side, 4, samples));
    });
  });

  it('scores the maps of the masked samples as a pair-count loop does', async () => {
    const evaluated = await cli('evaluate', runDir, '--masks', `png:${maskDir}`, '--methods', 'nn,edge', '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const json = JSON.parse(evaluated.stdout);
    expect(json.indices).toEqual(masked);
    expect(json.scores.map((s: { method: string }) => s.method)).toEqual(['nn', 'edge', 'random']);
    const out = join(root, 'explained');
    const explained = await cli('explain', runDir, '--index', masked.join(','), '--method', 'nn,edge', '--out', out);
    expect(explained.code, explained.stderr).toBe(0);
    for (const [m, method] of ['nn', 'edge'].entries()) {
      const maps = readNpy(join(out, method, 'relevance.npy')).data;
      masked.forEach((_, k) => {
        const expected = pairAuc(maps.subarray(k * side * side, (k + 1) * side * side), maskOf(k));
        expect(json.scores[m].auc[k]).toBeCloseTo(expected, 10);
      });
    }
    const text = await cliInProcess('evaluate', runDir, '--masks', `png:${maskDir}`, '--methods', 'nn');
    expect(text.stdout).toMatch(/pixel AUC/);
  });

  it('refuses a mask named by no index, of another size, or beyond the data, with one line', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['mask.png', encodeRawPng(side, side, 0, new Uint8Array(side * side).fill(255)), /sample index/],
      ['2.png', encodeRawPng(10, 10, 0, new Uint8Array(100).fill(255)), /10×10/],
      ['999.png', encodeRawPng(side, side, 0, new Uint8Array(side * side)), /does not exist/],
    ];
    for (const [name, bytes, message] of cases) {
      const dir = join(root, `bad-masks-${name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, name), bytes);
      const result = await cliInProcess('evaluate', runDir, '--masks', `png:${dir}`);
      expect(result.code).toBe(2);
      expect(errorLines(result)).toHaveLength(1);
      expect(errorLines(result)[0]).toMatch(message);
    }
    const spec = await cliInProcess('evaluate', runDir, '--masks', maskDir);
    expect(errorLines(spec)[0]).toMatch(/png:DIR/);
  });
});
