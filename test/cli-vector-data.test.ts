/**
 * CSV data end to end: rows declared images (shape=28x28) through train (CNN) → explain → evaluate →
 * report; plain vectors through every command, image-only methods left out with a note; a
 * model:PATH image network on plain CSV rows; and the default CNN on 8 × 8 images.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../src/io/npy.ts';
import { readPng } from '../src/io/png.ts';
import { initRuntime } from '../src/runtime/runtime.ts';
import { buildFeatureNetwork, cnnBlocks } from '../src/features/feature-network.ts';
import { cliInProcess, errorLines } from './helpers/run-cli.ts';
import { writeMnistCsv, writeSmallPngFolder } from './helpers/cli-fixtures.ts';

let root: string;
let csv: string;
const at = (name: string) => join(root, name);

async function ok(...args: string[]) {
  const r = await cliInProcess(...args);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** Σ R of every OC-DTD map equals the output its variant explains, written beside it (conservation). */
function ocdtdConserves(explained: string): void {
  const { samples } = JSON.parse(readFileSync(join(explained, 'ocdtd', 'relevance.json'), 'utf8'));
  for (const s of samples) {
    expect(s.explained).toBeGreaterThan(0);
    expect(Math.abs(s.sum - s.explained)).toBeLessThan(1e-3 * Math.abs(s.explained));
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-vector-'));
  csv = writeMnistCsv(at('digits.csv'), [0, 6], 80);
  await initRuntime({ quiet: true, backend: 'wasm' });
});

describe('CSV rows declared images (shape=28x28): train → explain → evaluate → report', () => {
  const run = () => at('image-run');
  beforeAll(async () => {
    await ok(
      'train',
      '--data',
      `csv:${csv},label=last,shape=28x28`,
      '--features',
      'cnn',
      '--epochs',
      '1',
      '--out',
      run(),
    );
  });

  it('the run holds 28 × 28 × 1 images and a CNN', () => {
    const config = JSON.parse(readFileSync(join(run(), 'config.json'), 'utf8'));
    expect(config.sampleShape).toEqual([28, 28, 1]);
    expect(config.data).toMatch(/,label=last,shape=28x28x1$/);
    expect(config.featureNetworks.map((n: { kind: string }) => n.kind)).toEqual(['cnn']);
  });

  it('explain writes every method, the input images equal the CSV rows read row-major, and OC-DTD conserves o(x)', async () => {
    const out = at('image-explained');
    await ok('explain', run(), '--top', '3', '--ig-steps', '4', '--out', out);
    const summary = JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8'));
    expect(summary.methods).toEqual(['ocdtd', 'sa', 'gi', 'ig', 'nn', 'edge']);
    expect(readNpy(join(out, 'edge', 'relevance.npy')).shape).toEqual([3, 28, 28]);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    for (const { index } of summary.samples) {
      const values = rows[index].split(',').slice(0, 784).map(Number);
      const image = readPng(join(out, 'inputs', `sample-${index}.png`));
      const upscale = image.width / 28;
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++)
          expect(image.data[(y * upscale * image.width + x * upscale) * image.channels]).toBe(
            Math.round(255 * values[y * 28 + x]),
          );
    }
    ocdtdConserves(out);
  });

  it('evaluate flips 2 × 2 patches, and the report has every section', async () => {
    const evaluated = JSON.parse(
      (await ok('evaluate', run(), '--top', '3', '--methods', 'ocdtd,edge', '--steps', '8', '--json')).stdout,
    );
    expect(evaluated.patchSize).toBe(2);
    expect(evaluated.fractions).toHaveLength(9);
    expect(evaluated.curves.map((c: { method: string }) => c.method)).toEqual(['ocdtd', 'edge', 'random']);
    const report = at('image-report.html');
    await ok(
      'report',
      run(),
      '--top',
      '2',
      '--methods',
      'ocdtd,edge',
      '--classifier-samples',
      '2',
      '--classifier-methods',
      'gradient',
      '--steps',
      '8',
      '--out',
      report,
    );
    const page = readFileSync(report, 'utf8');
    for (const id of ['run', 'outliers', 'classifier']) expect(page).toContain(`<section id="${id}">`);
  });
});

describe('plain CSV vectors: every command works', () => {
  const run = () => at('vector-run');
  beforeAll(async () => {
    await ok('train', '--data', `csv:${csv},label=last`, '--features', 'mlp', '--epochs', '1', '--out', run());
  });

  it('explain leaves edge out with a note and explains the rest, per value [N, 1, 784]', async () => {
    const out = at('vector-explained');
    const r = await ok('explain', run(), '--top', '3', '--ig-steps', '4', '--out', out);
    expect(r.stderr).toContain(
      'oc-explain: edge left out: it needs images, and the samples of this run are vectors of 784 values',
    );
    expect(readdirSync(out)).not.toContain('edge');
    expect(readdirSync(out)).not.toContain('inputs');
    expect(readNpy(join(out, 'ocdtd', 'relevance.npy')).shape).toEqual([3, 1, 784]);
    ocdtdConserves(out);
    const onlyEdge = await cliInProcess('explain', run(), '--method', 'edge', '--out', at('edge-only'));
    expect(onlyEdge.code).toBe(2);
    expect(errorLines(onlyEdge)).toEqual([
      'oc-explain: edge needs images, and the samples of this run are vectors; choose other methods (or read CSV rows as images: csv:FILE,shape=HxW)',
    ]);
  });

  it('evaluate flips one value at a time; the classifier is evaluated too; report and clusters run', async () => {
    const blurred = await cliInProcess('evaluate', run(), '--methods', 'ocdtd,nn', '--reference', 'blurred');
    expect(blurred.code).toBe(2);
    expect(errorLines(blurred)).toEqual([
      'oc-explain: reference blurred needs images, and the samples of this run are vectors; choose nearest, zero or mean (or read CSV rows as images: csv:FILE,shape=HxW)',
    ]);
    const outliers = JSON.parse(
      (await ok('evaluate', run(), '--top', '3', '--methods', 'ocdtd,nn', '--steps', '10', '--json')).stdout,
    );
    expect(outliers.patchSize).toBe(1);
    expect(outliers.fractions).toHaveLength(11);
    expect(outliers.curves.map((c: { method: string }) => c.method)).toEqual(['ocdtd', 'nn', 'random']);
    const classifier = JSON.parse(
      (await ok('evaluate', run(), '--classifier', '--top', '3', '--methods', 'gradient', '--steps', '10', '--json'))
        .stdout,
    );
    expect(classifier.patchSize).toBe(1);
    const report = at('vector-report.html');
    await ok(
      'report',
      run(),
      '--top',
      '2',
      '--methods',
      'ocdtd,nn',
      '--classifier-samples',
      '2',
      '--classifier-methods',
      'gradient',
      '--steps',
      '8',
      '--out',
      report,
    );
    expect(readFileSync(report, 'utf8')).toContain('<section id="classifier">');
    await ok('clusters', run(), '--k', '2', '--explain', '1', '--out', at('vector-clusters'));
  });
});

describe('model:PATH on CSV rows and the CNN on small images', () => {
  it('an image network (trained by train-features) reads plain CSV rows as its 28 × 28 × 1 input', async () => {
    const model = at('cnn-model');
    await ok('train-features', '--data', 'mnist:0,6,limit=60', '--epochs', '1', '--out', model);
    const run = at('model-run');
    const trained = await ok('train', '--data', `csv:${csv},label=last`, '--features', `model:${model}`, '--out', run);
    expect(trained.stderr).toContain(`each sample of csv:${csv} is read as a 28×28×1 image, the model's input shape`);
    const out = at('model-explained');
    await ok('explain', run, '--top', '2', '--method', 'ocdtd,edge', '--out', out);
    expect(readNpy(join(out, 'edge', 'relevance.npy')).shape).toEqual([2, 28, 28]);
    ocdtdConserves(out);
  });

  it('8 × 8 images: the default CNN keeps a pixel after both poolings, trains and explains', async () => {
    expect(cnnBlocks(28, 28)).toEqual([
      { padding: 'valid', pool: [2, 2] },
      { padding: 'valid', pool: [2, 2] },
    ]);
    for (const [shape, last] of [
      [
        [28, 28, 1],
        [5, 5, 64],
      ],
      [
        [8, 8, 1],
        [1, 1, 64],
      ],
      [
        [3, 3, 1],
        [1, 1, 64],
      ],
      [
        [1, 20, 1],
        [1, 5, 64],
      ],
    ]) {
      const model = buildFeatureNetwork('cnn', shape, 2);
      expect(model.getLayer('pool2').outputShape.slice(1)).toEqual(last);
      model.dispose();
    }
    const images = writeSmallPngFolder(at('small'), 8, 12);
    const run = at('small-run');
    await ok('train', '--data', `png:${images}`, '--features', 'cnn', '--epochs', '1', '--out', run);
    const out = at('small-explained');
    await ok('explain', run, '--top', '2', '--method', 'ocdtd,gi', '--out', out);
    expect(readNpy(join(out, 'ocdtd', 'relevance.npy')).shape).toEqual([2, 8, 8]);
    ocdtdConserves(out);
  });
});
