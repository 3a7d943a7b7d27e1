import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { loadMnist } from '../src/data/mnist.ts';

// The reference: the package's JSON files read straight, digit by digit.
const require = createRequire(import.meta.url);
const rawDigit = (d: number): number[] =>
  JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')).data;
const raw = Array.from({ length: 10 }, (_, d) => rawDigit(d));
const count = (d: number) => raw[d].length / 784;

describe('loadMnist', () => {
  const all = loadMnist();

  it('holds all 10,000 labelled 28×28 images in [0, 1], with every digit file fully read', () => {
    expect(all.n).toBe(10000);
    expect(all.sampleShape).toEqual([28, 28, 1]);
    expect(all.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(all.source).toBe('mnist');
    expect(all.x.length).toBe(10000 * 784);
    const perDigit = new Array(10).fill(0);
    for (const label of all.labels!) perDigit[label]++;
    expect(perDigit).toEqual(raw.map((_, d) => count(d)));
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('orders samples round-robin over the digits, each image equal to its row in the JSON file', () => {
    const next = new Array(10).fill(0);
    const expectedOrder: [number, number][] = [];
    while (expectedOrder.length < 10000) {
      for (let d = 0; d < 10; d++) if (next[d] < count(d)) expectedOrder.push([d, next[d]++]);
    }
    for (const k of [0, 1, 9, 10, 4321, 8629, 9999]) {
      const [d, j] = expectedOrder[k];
      expect(all.labels![k]).toBe(d);
      const image = Array.from(all.x.subarray(k * 784, (k + 1) * 784));
      expect(image).toEqual(raw[d].slice(j * 784, (j + 1) * 784).map(Math.fround));
    }
    for (let k = 0; k < 10000; k++) expect(all.labels![k]).toBe(expectedOrder[k][0]);
  });

  it('keeps only the chosen digits, labels still the digit itself, and a balanced prefix under a limit', () => {
    const ds = loadMnist({ digits: [6, 0], limit: 101 });
    expect(ds.n).toBe(101);
    expect(ds.classNames.length).toBe(10);
    expect(ds.source).toBe('mnist:0,6');
    expect(Array.from(ds.labels!.slice(0, 4))).toEqual([0, 6, 0, 6]);
    expect(ds.labels!.filter((l) => l === 0).length).toBe(51);
    expect(ds.labels!.filter((l) => l === 6).length).toBe(50);
    expect(Array.from(ds.x.subarray(784, 2 * 784))).toEqual(raw[6].slice(0, 784).map(Math.fround));
  });

  it('gives every image of the chosen digits when no limit is set', () => {
    const ds = loadMnist({ digits: [5] });
    expect(ds.n).toBe(count(5));
    expect(ds.x.length).toBe(raw[5].length);
    let mismatches = 0;
    for (let i = 0; i < raw[5].length; i++) if (ds.x[i] !== Math.fround(raw[5][i])) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('rejects digits outside 0…9, an empty choice and a bad limit with a UserError', () => {
    expect(() => loadMnist({ digits: [10] })).toThrow(UserError);
    expect(() => loadMnist({ digits: [10] })).toThrow('digit 10');
    expect(() => loadMnist({ digits: [] })).toThrow(UserError);
    expect(() => loadMnist({ limit: 0 })).toThrow('limit');
    expect(() => loadMnist({ limit: 2.5 })).toThrow(UserError);
  });
});
