/**
 * Inputs that used to crash a command, lose a run or pass silently — each now one clear line and
 * exit 2 (or, where the input is fine, a working command): odd class folders, broken PNGs,
 * models that cannot be explained, a run whose files were swapped, one-unit classifiers.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { saveModel } from '../src/features/model-io.ts';
import { LARGE_EXACT_FIT, largeFitWarning } from '../src/run/train-run.ts';
import { cliInProcess, errorLines, type CliResult } from './helpers/run-cli.ts';
import { fileTree, writeSmallPngFolder } from './helpers/cli-fixtures.ts';
import { encodeRawPng } from './helpers/raw-png.ts';

let root: string;
const fresh = (name: string) => join(root, name);

function refused(r: CliResult, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(errorLines(r), r.stderr).toHaveLength(1);
  expect(errorLines(r)[0]).toMatch(message);
}

const trainPixels = (data: string, out: string) =>
  cliInProcess('train', '--data', data, '--features', 'pixels', '--out', out);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-bad-input-'));
  await initRuntime({ quiet: true, backend: 'wasm' });
});

describe('image folders', () => {
  it('a class folder whose name holds a newline is refused at once (no later command could read the run)', async () => {
    const dir = writeSmallPngFolder(fresh('newline'), 6, 2);
    cpSync(join(dir, 'dot'), join(dir, 'two\nlines'), { recursive: true });
    refused(
      await trainPixels(`png:${dir}`, fresh('out-newline')),
      /the class folder "two\\nlines" has a control character/,
    );
  });

  it('images one level too deep are refused, not silently dropped', async () => {
    const dir = writeSmallPngFolder(fresh('nested'), 6, 2);
    cpSync(join(dir, 'dot'), join(dir, 'bar', 'more'), { recursive: true });
    refused(await trainPixels(`png:${dir}`, fresh('out-nested')), /bar\/more\/ holds images one level too deep/);
  });

  it.each([
    ['an empty file', Buffer.alloc(0), 'the file is empty (0 bytes)'],
    ['a text file named .png', Buffer.from('not an image'), 'it is not a PNG image (no PNG signature at its start)'],
    ['a cut PNG', encodeRawPng(6, 6, 0, new Uint8Array(36)).subarray(0, 40), 'the file is cut short (truncated)'],
  ])('%s: one line naming the file and what is wrong', async (_, bytes, problem) => {
    const dir = writeSmallPngFolder(fresh(`broken-${bytes.length}`), 6, 2);
    writeFileSync(join(dir, 'bar', '9.png'), bytes);
    refused(
      await trainPixels(`png:${dir}`, fresh(`out-broken-${bytes.length}`)),
      `cannot read PNG image ${join(dir, 'bar', '9.png')}: ${problem}`,
    );
  });

  it('a CSV label with a control character is refused with its line and column', async () => {
    const csv = fresh('tab.csv');
    writeFileSync(csv, '1,2,a\n3,4,"b\tc"\n');
    refused(
      await trainPixels(`csv:${csv},label=last`, fresh('out-tab')),
      /tab\.csv line 2, column 3: the label "b\\tc" holds a control character/,
    );
  });
});

describe('models', () => {
  let models: string;
  beforeAll(async () => {
    models = fresh('models');
    const flat = () => tf.layers.flatten({ inputShape: [28, 28, 1] });
    await saveModel(
      tf.sequential({
        layers: [flat(), tf.layers.dense({ units: 8, activation: 'tanh' }), tf.layers.dense({ units: 2 })],
      }),
      join(models, 'tanh'),
    );
    await saveModel(
      tf.sequential({
        layers: [
          flat(),
          tf.layers.dense({ units: 8, activation: 'relu' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
      join(models, 'sigmoid'),
    );
    const input = tf.input({ shape: [28, 28, 1] });
    const maps = tf.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    await saveModel(tf.model({ inputs: input, outputs: maps }), join(models, 'maps'));
    await saveModel(
      tf.sequential({
        layers: [
          flat(),
          tf.layers.dense({ units: 16, activation: 'relu', name: 'features' }),
          tf.layers.dense({ units: 2 }),
        ],
      }),
      join(models, 'other'),
    );
  });

  it('train --features model:PATH refuses a model that explain would refuse later', async () => {
    refused(
      await cliInProcess(
        'train',
        '--data',
        'mnist:0,6,limit=40',
        '--features',
        `model:${join(models, 'tanh')}`,
        '--out',
        fresh('out-tanh'),
      ),
      /cannot be explained later, so it cannot give the features: cannot explain layer '.*' \(Dense\): activation 'tanh'/,
    );
  });

  it('explain-classifier explains a one-unit sigmoid classifier (its logit), and refuses a 3-D output', async () => {
    const out = fresh('sigmoid-out');
    const r = await cliInProcess(
      'explain-classifier',
      '--model',
      join(models, 'sigmoid'),
      '--data',
      'mnist:0,6,limit=20',
      '--first',
      '3',
      '--method',
      'gxi,lrp:0',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    // zero biases, ReLU: gradient × input and LRP-0 both sum to the logit exactly (up to float32)
    for (const method of ['gxi', 'lrp-0']) {
      const { samples } = JSON.parse(readFileSync(join(out, method, 'relevance.json'), 'utf8'));
      for (const s of samples) expect(s.sum).toBeCloseTo(s.logit, 4);
    }
    refused(
      await cliInProcess(
        'explain-classifier',
        '--model',
        join(models, 'maps'),
        '--data',
        'mnist:0,6,limit=20',
        '--first',
        '2',
        '--out',
        fresh('maps-out'),
      ),
      "the network's output has shape [26, 26, 2] per sample; a classifier to explain gives one score per class (a vector)",
    );
  });

  it('a run whose feature network was swapped for another says its files do not fit together', async () => {
    const run = fresh('swapped');
    const trained = await cliInProcess(
      'train',
      '--data',
      'mnist:0,6,limit=40',
      '--features',
      `model:${join(models, 'other')}`,
      '--out',
      run,
    );
    expect(trained.code, trained.stderr).toBe(0);
    rmSync(join(run, 'features'), { recursive: true });
    cpSync(join(models, 'sigmoid'), join(run, 'features'), { recursive: true });
    const before = fileTree(root);
    refused(
      await cliInProcess('explain', run, '--top', '2', '--out', fresh('swapped-explained')),
      /the files of run .*swapped do not fit together: no layer named 'features'; its layers: .*\(was a file replaced\? train the run again\)/,
    );
    expect(fileTree(root)).toEqual(before);
  });
});

describe('scale', () => {
  it('warns before an exact fit on many samples, and says what to do', () => {
    expect(largeFitWarning(LARGE_EXACT_FIT)).toBeNull();
    const warning = largeFitWarning(1_100_000)!;
    expect(warning).toMatch(/^warning: an exact one-class SVM on 1,100,000 samples: its time and memory grow with n²/);
    expect(warning).toContain(
      'subsample (--max-train N, score all) or compress support vectors (explain --compress K)',
    );
  });
});
