/**
 * A PyTorch model brought as ONNX, through the command line: explain-classifier --model net.onnx,
 * train --features model:net.onnx (the file copied into the run) then explain with OC-DTD through
 * its skip connection; a tfjs model that cannot be explained is
 * refused by train up front, naming the layer.
 */
import { mkdtempSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, errorLines } from './helpers/run-cli.ts';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { saveModel } from '../src/features/model-io.ts';

const MODEL = new URL('./fixtures/onnx/mnist-small.onnx', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'oc-onnx-cli-'));

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('ONNX models on the command line', () => {
  it('explain-classifier --model net.onnx writes maps for LRP and gradient methods', async () => {
    const out = join(dir, 'classifier');
    const r = await cli(
      'explain-classifier',
      '--model',
      MODEL,
      '--data',
      'mnist:limit=30',
      '--first',
      '2',
      '--method',
      'lrp:epsilon-plus-flat,gradient',
      '--out',
      out,
    );
    expect(errorLines(r)).toEqual([`oc-explain: 2 method(s) × 2 sample(s) written to ${out}`]);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'explain.json'))).toBe(true);
  });

  it('train --features model:net.onnx copies the file into the run; explain runs OC-DTD through it', async () => {
    const run = join(dir, 'run');
    const t = await cli('train', '--data', 'mnist:limit=120', '--features', `model:${MODEL}`, '--out', run);
    expect(t.code, t.stderr).toBe(0);
    expect(existsSync(join(run, 'features', 'model.onnx'))).toBe(true);
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {
      featureLayer: string;
      featureDim: number;
    };
    expect(config.featureDim).toBe(16);
    const e = await cli('explain', run, '--index', '0,1', '--method', 'ocdtd,gi', '--out', join(dir, 'explained'));
    expect(e.code, e.stderr).toBe(0);
    expect(existsSync(join(dir, 'explained', 'ocdtd', 'relevance.npy'))).toBe(true);
  });

  it('train refuses up front a tfjs model that cannot be explained, naming the layer', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 8, activation: 'tanh', name: 'squash' }),
        tf.layers.dense({ units: 10 }),
      ],
    });
    await saveModel(model, join(dir, 'tanh-model'));
    model.dispose();
    const r = await cli(
      'train',
      '--data',
      'mnist:limit=50',
      '--features',
      `model:${join(dir, 'tanh-model')}`,
      '--out',
      join(dir, 'refused'),
    );
    expect(r.code).toBe(2);
    expect(errorLines(r)).toHaveLength(1);
    expect(errorLines(r)[0]).toMatch(/'squash' \(Dense\): activation 'tanh'/);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });
});
