/**
 * `oc-explain train-features` end to end: the saved model reproduces the reported held-out accuracy
 * on the same stratified split, and bad input stops with one message and no model folder.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { loadDataset } from '../src/data/data-spec.ts';
import { trainTestSplit } from '../src/data/split.ts';
import { loadModel } from '../src/features/model-io.ts';
import { cli } from './helpers/run-cli.ts';

const DATA = 'mnist:limit=400';
let root: string;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  root = mkdtempSync(join(tmpdir(), 'oc-train-features-'));
});

describe('oc-explain train-features', () => {
  it('saves a model whose accuracy on the held-out split is the one it reports', async () => {
    const out = join(root, 'mlp');
    const result = await cli(
      'train-features',
      '--data',
      DATA,
      '--network',
      'mlp',
      '--epochs',
      '2',
      '--held-out',
      '0.2',
      '--seed',
      '3',
      '--out',
      out,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'oc-explain-output.json', 'weights.bin']);
    expect(result.stdout).toContain(`model written to ${join(out, 'model.json')}`);
    expect(result.stderr).toMatch(/epoch 2: loss \d\.\d{4}/);
    const reported = Number(/held-out accuracy: ([\d.]+) % \(80 of 400 samples held out\)/.exec(result.stdout)![1]);

    const { test } = trainTestSplit(loadDataset(DATA), 0.2, 3);
    const model = await loadModel(out);
    const predicted = tf.tidy(() =>
      tf.argMax(model.predict(tf.tensor(test.x, [test.n, 28, 28, 1])) as tf.Tensor, -1).dataSync(),
    );
    const correct = Array.from(predicted).filter((p, i) => p === test.labels![i]).length;
    expect(reported).toBeCloseTo((100 * correct) / test.n, 2);
    expect(reported).toBeGreaterThan(40); // ten classes: chance is 10 %
    model.dispose();
  });

  it('stops with one message and writes nothing on bad input', async () => {
    const out = join(root, 'bad');
    const single = await cli('train-features', '--data', 'mnist:7,limit=50', '--network', 'mlp', '--out', out);
    expect(single.code).toBe(2);
    expect(single.stderr).toContain("mnist:7 has only one class ('7')");
    const network = await cli('train-features', '--data', DATA, '--network', 'resnet', '--out', out);
    expect(network.code).toBe(2);
    expect(network.stderr).toContain("--network: unknown network 'resnet'; allowed: cnn, mlp");
    const heldOut = await cli('train-features', '--data', DATA, '--held-out', '1.5', '--out', out);
    expect(heldOut.stderr).toContain('--held-out must be a fraction in (0, 1)');
    expect(existsSync(out)).toBe(false);
  });
});
