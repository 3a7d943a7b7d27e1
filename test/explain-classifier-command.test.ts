/**
 * The explain-classifier command end to end on the 8 × 8 RGB fixture images (data/tiny-png):
 * a linear classifier whose exact relevance is computed here from its weights in JS loops, and a
 * small CNN checked against tfjs-layers' own gradients.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { saveModel } from '../src/features/model-io.ts';
import { loadPngFolder } from '../src/data/png-folder.ts';
import { register } from '../src/commands/explain-classifier.ts';
import { readNpy } from '../src/io/npy.ts';
import { readPng } from '../src/io/png.ts';
import { UserError } from '../src/errors.ts';

const DATA_DIR = join(import.meta.dirname, '..', 'data', 'tiny-png');
const DATA = `png:${DATA_DIR}`;
const root = mkdtempSync(join(tmpdir(), 'oc-explain-classifier-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const D = 8 * 8 * 3;
let kernel: number[][]; // D × 2
let bias: number[];
let x: Float32Array; // the 6 samples

async function cli(...args: string[]): Promise<void> {
  const program = new Command('oc-explain').option('--backend <name>').exitOverride();
  register(program);
  await program.parseAsync(args, { from: 'user' });
}

beforeAll(async () => {
  await initRuntime({ quiet: true });
  x = loadPngFolder(DATA_DIR).x;
  const linear = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [8, 8, 3] }),
      tf.layers.dense({
        units: 2,
        kernelInitializer: tf.initializers.randomNormal({ seed: 3 }),
        biasInitializer: tf.initializers.constant({ value: 0.1 }),
      }),
    ],
  });
  kernel = linear.getWeights()[0].arraySync() as number[][];
  bias = [0.1, 0.1];
  await saveModel(linear, join(root, 'linear'));
  linear.dispose();
});

/** logit_k(x_n) and x_n,i · w_ik summed over channels, in float64 loops. */
const logit = (n: number, k: number) =>
  bias[k] + Array.from(x.subarray(n * D, (n + 1) * D)).reduce((a, v, i) => a + v * kernel[i][k], 0);
const gxiMap = (n: number, k: number) =>
  Array.from({ length: 64 }, (_, p) => [0, 1, 2].reduce((a, c) => a + x[n * D + 3 * p + c] * kernel[3 * p + c][k], 0));

describe('explain-classifier on a linear classifier', () => {
  it('writes maps equal to x·w of the predicted class for LRP-0, gradient × input and IG', async () => {
    const out = join(root, 'out-linear');
    const tensorsBefore = tf.memory().numTensors;
    await cli(
      'explain-classifier',
      '--model',
      join(root, 'linear'),
      '--data',
      DATA,
      '--index',
      '4,0,2',
      '--method',
      'lrp:0,gxi,ig,gradient',
      '--out',
      out,
      '--ig-steps',
      '3',
      '--upscale',
      '2',
    );
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const indices = [4, 0, 2];
    const predicted = indices.map((n) => (logit(n, 1) > logit(n, 0) ? 1 : 0));
    const expected = indices.flatMap((n, k) => gxiMap(n, predicted[k]));
    for (const folder of ['lrp-0', 'gxi', 'ig']) {
      const npy = readNpy(join(out, folder, 'relevance.npy'));
      expect(npy.shape).toEqual([3, 8, 8]);
      npy.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    }
    // sensitivity: Σ_c w_c² of the predicted class, the same at every image
    const sens = readNpy(join(out, 'gradient', 'relevance.npy')).data;
    indices.forEach((_, k) => {
      for (let p = 0; p < 64; p++)
        expect(sens[k * 64 + p]).toBeCloseTo(
          [0, 1, 2].reduce((a, c) => a + kernel[3 * p + c][predicted[k]] ** 2, 0),
          4,
        );
    });

    const json = JSON.parse(readFileSync(join(out, 'ig', 'relevance.json'), 'utf8'));
    json.samples.forEach((s: Record<string, number | string>, k: number) => {
      expect(s.index).toBe(indices[k]);
      expect(s.label).toBe(indices[k] < 3 ? 'a' : 'b');
      expect(s.predicted).toBe(predicted[k]);
      expect(s.target).toBe(predicted[k]);
      expect(s.logit).toBeCloseTo(logit(indices[k], predicted[k]), 4);
      expect(s.completenessError as number).toBeLessThan(1e-4);
    });
    const index = JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8'));
    expect(index.methods.map((m: { folder: string }) => m.folder)).toEqual(['lrp-0', 'gxi', 'ig', 'gradient']);
    expect(readPng(join(out, 'gxi', 'sample-4.png')).width).toBe(16);
    expect(readPng(join(out, 'inputs', 'sample-0.png')).width).toBe(16);
  });

  it('explains a fixed class given by index or by name', async () => {
    for (const target of ['1', 'b']) {
      const out = join(root, `out-target-${target}`);
      await cli(
        'explain-classifier',
        '--model',
        join(root, 'linear'),
        '--data',
        DATA,
        '--first',
        '2',
        '--method',
        'gxi',
        '--target',
        target,
        '--out',
        out,
      );
      const maps = readNpy(join(out, 'gxi', 'relevance.npy')).data;
      const expected = [0, 1].flatMap((n) => gxiMap(n, 1));
      maps.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    }
  });

  it('rejects bad options with what is allowed, writing nothing', async () => {
    const out = join(root, 'out-bad');
    const base = ['explain-classifier', '--model', join(root, 'linear'), '--data', DATA, '--out', out];
    const bad: Array<[string[], RegExp]> = [
      [
        ['--first', '2', '--method', 'gxi,saliency'],
        /unknown method 'saliency'; allowed: gradient, taylor, gxi, ig, smoothgrad, lrp:/,
      ],
      [['--index', '0,6'], /--index: '6' is not a sample index in 0…5/],
      [['--index', '1', '--first', '2'], /exactly one of --index/],
      [['--first', '1', '--ig-steps', '0'], /--ig-steps must be a whole number ≥ 1 \(got '0'\)/],
      [
        ['--first', '1', '--target', '2'],
        /--target: '2' is not allowed; give 'predicted' or a class 0…1 \(or a class name: a, b\)/,
      ],
      [['--first', '1', '--sg-variant', 'cubed'], /allowed: plain, squared, input/],
      [['--first', '1', '--method', 'ig,lrp:nope'], /unknown LRP method 'lrp:nope'; allowed: lrp:/],
      [['--first', '1', '--method', 'gxi,gxi'], /'gxi' is listed twice/],
      [['--first', '7'], /--first: 7 samples asked for, but .* has only 6/],
    ];
    for (const [args, message] of bad) {
      const run = cli(...base, ...args);
      await expect(run).rejects.toThrow(UserError);
      await expect(cli(...base, ...args)).rejects.toThrow(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('frees the mean baseline and the bounds when a later option or the target fails', async () => {
    const base = [
      'explain-classifier',
      '--model',
      join(root, 'linear'),
      '--data',
      DATA,
      '--out',
      join(root, 'out-leak'),
      '--first',
      '1',
      '--ig-baseline',
      'mean',
    ];
    await expect(cli(...base, '--sg-samples', '0')).rejects.toThrow(UserError); // warm-up: runtime, caches
    const before = tf.memory().numTensors;
    for (const bad of [
      ['--sg-samples', '0'],
      ['--batch-size', 'x'],
      ['--target', '9'],
    ]) {
      await expect(cli(...base, ...bad)).rejects.toThrow(UserError);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('explain-classifier on a CNN', () => {
  it('gives the sensitivity of tfjs-layers gradients and runs every method', async () => {
    const cnn = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    await saveModel(cnn, join(root, 'cnn'));
    const out = join(root, 'out-cnn');
    await cli(
      'explain-classifier',
      '--model',
      join(root, 'cnn'),
      '--data',
      DATA,
      '--first',
      '6',
      '--target',
      '0',
      '--out',
      out,
      '--method',
      'gradient,taylor,gxi,ig,smoothgrad,lrp:epsilon-plus-flat,lrp:epsilon=0.01',
      '--ig-steps',
      '8',
      '--sg-samples',
      '4',
      '--batch-size',
      '16',
    );
    const expected = tf.tidy(() => {
      const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.slice(cnn.apply(z) as tf.Tensor, [0, 0], [-1, 1])))(
        tf.tensor4d(x, [6, 8, 8, 3]),
      );
      return tf.sum(tf.square(grad), -1).dataSync();
    });
    cnn.dispose();
    const sens = readNpy(join(out, 'gradient', 'relevance.npy')).data;
    sens.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
    for (const folder of ['taylor', 'gxi', 'ig', 'smoothgrad', 'lrp-epsilon-plus-flat', 'lrp-epsilon-0.01']) {
      const npy = readNpy(join(out, folder, 'relevance.npy'));
      expect(npy.shape).toEqual([6, 8, 8]);
      expect(npy.data.every(Number.isFinite)).toBe(true);
    }
  });
});
