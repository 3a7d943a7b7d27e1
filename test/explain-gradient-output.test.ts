/** Relevance output files: NPY round trip, JSON a user can load, heat-map PNGs, atomic folders. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { explainByGradient, sumChannels } from '../src/explain/gradient-methods.ts';
import { methodFolderName, writeInputImages, writeRelevanceBatch } from '../src/explain/relevance-output.ts';
import { renderInput, renderRelevance } from '../src/explain/heatmap.ts';
import { readNpy } from '../src/io/npy.ts';
import { readPng } from '../src/io/png.ts';
import { UserError } from '../src/errors.ts';

const out = mkdtempSync(join(tmpdir(), 'oc-relevance-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const H = 3;
const W = 4;
// two 3 × 4 maps with positive, negative, zero and one large value
const maps = Float32Array.from([
  0.1, -0.2, 0, 0.3, 1e-8, -0.5, 0.25, 0, 0.125, -0.125, 0.7, -0.05, -1.5, 0, 0, 2, 3.25, -0.001, 0, 0, 1, 1, -1,
  0.333333,
]);

describe('writeRelevanceBatch', () => {
  it('writes NPY, JSON and PNGs that read back to the same numbers and colours', async () => {
    const files = await writeRelevanceBatch(
      out,
      {
        method: 'lrp:epsilon-plus-flat',
        indices: [17, 4],
        maps,
        height: H,
        width: W,
        perSample: [{ target: 3 }, { target: 7 }],
        info: { rule: 'test' },
      },
      { upscale: 2 },
    );
    const dir = join(out, 'lrp-epsilon-plus-flat');
    expect(files.dir).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual([
      'colour-bar.png',
      'oc-explain-output.json',
      'relevance.json',
      'relevance.npy',
      'sample-17.png',
      'sample-4.png',
    ]);
    expect(readdirSync(out).filter((f) => f.includes('.tmp') || f.includes('.old'))).toEqual([]);

    const npy = readNpy(join(dir, 'relevance.npy'));
    expect(npy.shape).toEqual([2, H, W]);
    expect(Array.from(npy.data)).toEqual(Array.from(maps));

    const json = JSON.parse(readFileSync(join(dir, 'relevance.json'), 'utf8'));
    expect(json.method).toBe('lrp:epsilon-plus-flat');
    expect(json.shape).toEqual([2, H, W]);
    expect(json.info).toEqual({ rule: 'test' });
    expect(json.samples.map((s: { index: number }) => s.index)).toEqual([17, 4]);
    json.samples.forEach(
      (s: { relevance: number[][]; sum: number; min: number; max: number; target: number }, n: number) => {
        const own = Array.from(maps.subarray(n * H * W, (n + 1) * H * W));
        expect(s.relevance.length).toBe(H);
        // nested rows hold exactly the float32 values
        expect(Float32Array.from(s.relevance.flat())).toEqual(Float32Array.from(own));
        expect(s.sum).toBeCloseTo(
          own.reduce((a, b) => a + b, 0),
          6,
        );
        expect(s.min).toBe(Math.min(...own));
        expect(s.max).toBe(Math.max(...own));
        expect(s.target).toBe([3, 7][n]);
      },
    );

    for (const [n, index] of [17, 4].entries()) {
      const png = readPng(join(dir, `sample-${index}.png`));
      const expected = renderRelevance(maps.subarray(n * H * W, (n + 1) * H * W), H, W, { upscale: 2 });
      expect([png.width, png.height, png.channels]).toEqual([2 * W, 2 * H, 4]);
      expect(png.data).toEqual(expected.rgba);
    }
    // sample 4's largest |R| is 3.25 at row 1, column 0: full red
    const png = readPng(join(dir, 'sample-4.png'));
    expect(Array.from(png.data.subarray((2 * 2 * W + 0) * 4, 2 * 2 * W * 4 + 4))).toEqual([255, 0, 0, 255]);
  });

  it('replaces an earlier folder of the same method and writes null for non-finite values', async () => {
    const first = Float32Array.from({ length: H * W }, (_, i) => i);
    await writeRelevanceBatch(out, { method: 'ig', indices: [1], maps: first, height: H, width: W });
    const second = Float32Array.from({ length: H * W }, () => -1);
    second[5] = NaN;
    await writeRelevanceBatch(out, { method: 'ig', indices: [2], maps: second, height: H, width: W });
    expect(readdirSync(join(out, 'ig')).sort()).toEqual([
      'colour-bar.png',
      'oc-explain-output.json',
      'relevance.json',
      'relevance.npy',
      'sample-2.png',
    ]);
    const json = JSON.parse(readFileSync(join(out, 'ig', 'relevance.json'), 'utf8'));
    expect(json.samples[0].relevance[1][1]).toBeNull();
    expect(json.samples[0].sum).toBeNull();
    expect(Number.isNaN(readNpy(join(out, 'ig', 'relevance.npy')).data[5])).toBe(true);
  });

  it('rejects mismatched input and duplicate indices, leaving no folder behind', async () => {
    await expect(
      writeRelevanceBatch(out, { method: 'gxi', indices: [1, 2], maps: new Float32Array(5), height: H, width: W }),
    ).rejects.toThrow(/5 relevance values/);
    await expect(
      writeRelevanceBatch(out, {
        method: 'gxi',
        indices: [3, 3],
        maps: new Float32Array(2 * H * W),
        height: H,
        width: W,
      }),
    ).rejects.toThrow(UserError);
    expect(readdirSync(out)).not.toContain('gxi');
    expect(methodFolderName('lrp:alpha2-beta1')).toBe('lrp-alpha2-beta1');
    expect(() => methodFolderName('::')).toThrow(UserError);
  });

  it('saves per-pixel maps of a gradient explanation of images', async () => {
    // f(x) = Σ w·x on 2-channel images: gradient × input per pixel = Σ_c w_c x_c
    const w = Array.from({ length: H * W * 2 }, (_, i) => ((i * 7) % 5) - 2);
    const xs = Array.from({ length: 2 * H * W * 2 }, (_, i) => ((i * 3) % 11) / 10);
    const x = tf.tensor4d(xs, [2, H, W, 2]);
    const f = (z: tf.Tensor) => tf.sum(tf.mul(tf.reshape(z, [z.shape[0], H * W * 2]), tf.tensor1d(w)), 1);
    const e = explainByGradient(f, x, 'gxi');
    const pixels = tf.tidy(() => sumChannels(e.relevance));
    const data = pixels.dataSync() as Float32Array;
    tf.dispose([x, e.relevance, pixels]);
    await writeRelevanceBatch(out, { method: 'gxi', indices: [0, 9], maps: data, height: H, width: W });
    const back = readNpy(join(out, 'gxi', 'relevance.npy'));
    const expected = Array.from({ length: 2 * H * W }, (_, p) => {
      const n = Math.floor(p / (H * W));
      const q = p % (H * W);
      return w[2 * q] * xs[n * H * W * 2 + 2 * q] + w[2 * q + 1] * xs[n * H * W * 2 + 2 * q + 1];
    });
    back.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });
});

describe('writeInputImages', () => {
  it('writes each input as a grey PNG under inputs/', async () => {
    const x = Float32Array.from({ length: 2 * H * W }, (_, i) => (i % 12) / 11);
    const paths = await writeInputImages(out, [5, 6], x, [H, W, 1], { upscale: 1 });
    expect(paths).toEqual([join(out, 'inputs', 'sample-5.png'), join(out, 'inputs', 'sample-6.png')]);
    const png = readPng(paths[1]);
    expect(png.data).toEqual(renderInput(x.subarray(H * W), [H, W, 1]).rgba);
  });
});
