import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadMnist, mnistDigitImages } from '../src/data/mnist.ts';
import { ANOMALY_TYPES, plantAnomalies, type AnomalyType } from '../src/data/planted-anomalies.ts';

const d = 28 * 28;
const zeros = loadMnist({ digits: [0], limit: 200 });
const donors = mnistDigitImages(7).slice(0, 50 * d);

/** Bounding box (rows, columns) of the mask's pixels of sample i. */
function boundingBox(mask: Uint8Array, i: number): { rows: number; cols: number } {
  let r0 = 28;
  let r1 = -1;
  let c0 = 28;
  let c1 = -1;
  for (let p = 0; p < d; p++) {
    if (!mask[i * d + p]) continue;
    const r = Math.floor(p / 28);
    const c = p % 28;
    r0 = Math.min(r0, r);
    r1 = Math.max(r1, r);
    c0 = Math.min(c0, c);
    c1 = Math.max(c1, c);
  }
  return { rows: r1 - r0 + 1, cols: c1 - c0 + 1 };
}

describe('plantAnomalies', () => {
  const planted = plantAnomalies(zeros, { rate: 0.25, seed: 11, donors });

  it('corrupts round(rate × n) samples, every type about equally, and leaves the rest untouched', () => {
    expect(planted.planted.length).toBe(50);
    const counts = new Map<AnomalyType | null, number>();
    planted.types.forEach((t) => counts.set(t, (counts.get(t) ?? 0) + 1));
    for (const t of ANOMALY_TYPES) expect(counts.get(t)).toBe(10);
    expect(counts.get(null)).toBe(150);
    for (let i = 0; i < zeros.n; i++) {
      const isPlanted = planted.planted.includes(i);
      expect(planted.types[i] !== null).toBe(isPlanted);
      if (!isPlanted) {
        expect(Array.from(planted.dataset.x.subarray(i * d, (i + 1) * d))).toEqual(
          Array.from(zeros.x.subarray(i * d, (i + 1) * d)),
        );
      }
    }
    expect(Array.from(planted.dataset.labels as Int32Array)).toEqual(Array.from(zeros.labels as Int32Array));
  });

  it('marks exactly the pixels whose value changed (a loop comparing before and after)', () => {
    let wrong = 0;
    for (let i = 0; i < zeros.n; i++) {
      let changed = 0;
      for (let p = 0; p < d; p++) {
        const differs = zeros.x[i * d + p] !== planted.dataset.x[i * d + p] ? 1 : 0;
        if (planted.masks[i * d + p] !== differs) wrong++;
        changed += differs;
      }
      if (planted.types[i] !== null) expect(changed).toBeGreaterThanOrEqual(10);
    }
    expect(wrong).toBe(0);
  });

  it('keeps every value in [0, 1] and leaves the input data set unchanged', () => {
    const again = loadMnist({ digits: [0], limit: 200 });
    expect(Array.from(zeros.x)).toEqual(Array.from(again.x));
    expect(planted.dataset.x.filter((v) => !(v >= 0 && v <= 1)).length).toBe(0);
  });

  it('paints each artefact as described: brighter, darker, local', () => {
    for (const i of planted.planted) {
      const type = planted.types[i] as AnomalyType;
      const box = boundingBox(planted.masks, i);
      for (let p = 0; p < d; p++) {
        if (!planted.masks[i * d + p]) continue;
        const before = zeros.x[i * d + p];
        const after = planted.dataset.x[i * d + p];
        if (type === 'blob' || type === 'scratch' || type === 'fragment') expect(after).toBeGreaterThan(before);
        if (type === 'occlusion') expect(after).toBe(0);
        if (type === 'blob') expect(after).toBeGreaterThanOrEqual(0.8 - 1e-6);
        if (type === 'scratch') expect(after).toBe(1);
      }
      if (type === 'blob') expect(Math.max(box.rows, box.cols)).toBeLessThanOrEqual(9);
      if (type === 'occlusion') expect(Math.max(box.rows, box.cols)).toBeLessThanOrEqual(10);
      if (type === 'noise') expect(Math.max(box.rows, box.cols)).toBeLessThanOrEqual(10);
      if (type === 'fragment') expect(Math.max(box.rows, box.cols)).toBeLessThanOrEqual(12);
      if (type === 'scratch') expect(Math.max(box.rows, box.cols)).toBeLessThanOrEqual(21);
    }
  });

  it('gives the same result for the same seed and another for another seed', () => {
    const again = plantAnomalies(zeros, { rate: 0.25, seed: 11, donors });
    expect(again.planted).toEqual(planted.planted);
    expect(again.types).toEqual(planted.types);
    expect(Array.from(again.masks)).toEqual(Array.from(planted.masks));
    expect(Array.from(again.dataset.x)).toEqual(Array.from(planted.dataset.x));
    const other = plantAnomalies(zeros, { rate: 0.25, seed: 12, donors });
    expect(other.planted).not.toEqual(planted.planted);
  });

  it('plants only the chosen types, into RGB images as into grey ones', () => {
    const rgb: Dataset = {
      ...zeros,
      n: 20,
      sampleShape: [28, 28, 3],
      x: Float32Array.from({ length: 20 * d * 3 }, (_, k) => zeros.x[Math.floor(k / 3)]),
    };
    const result = plantAnomalies(rgb, { rate: 0.5, types: ['blob', 'noise'], seed: 3 });
    expect(new Set(result.types.filter((t) => t !== null))).toEqual(new Set(['blob', 'noise']));
    let wrong = 0;
    let changed = 0;
    for (let i = 0; i < 20; i++) {
      for (let p = 0; p < d; p++) {
        const channels = [0, 1, 2].map((k) => result.dataset.x[(i * d + p) * 3 + k]);
        const differs = channels.some((v, k) => v !== rgb.x[(i * d + p) * 3 + k]) ? 1 : 0;
        if (result.masks[i * d + p] !== differs) wrong++;
        if (channels[1] !== channels[0] || channels[2] !== channels[0]) wrong++;
        changed += differs;
      }
    }
    expect(wrong).toBe(0);
    expect(changed).toBeGreaterThanOrEqual(10 * 10);
  });

  it('refuses vectors, a bad rate, an unknown type and fragments without donors', () => {
    const vectors: Dataset = { ...zeros, sampleShape: [784] };
    expect(() => plantAnomalies(vectors, { rate: 0.1, seed: 1 })).toThrow(UserError);
    expect(() => plantAnomalies(zeros, { rate: 0, seed: 1 })).toThrow(/rate/);
    expect(() => plantAnomalies(zeros, { rate: 0.1, seed: 1, types: ['smudge' as AnomalyType] })).toThrow(/smudge/);
    expect(() => plantAnomalies(zeros, { rate: 0.1, seed: 1, types: ['fragment'] })).toThrow(/donor/);
  });
});
