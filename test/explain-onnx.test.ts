/**
 * The ONNX reader: its forward pass equals onnxruntime-node's on the same files (PyTorch exports
 * of a CNN with batch norm, a residual network with a concatenation, and a Keras-style graph with
 * an NHWC input, zero padding, depthwise and grouped dilated convolutions, leaky ReLU, ReLU6, an
 * unfusable batch norm, a flatten in NHWC order, MatMul + Add and a final softmax); batch norm
 * fused where it follows a linear layer; one clear error for unsupported operators and broken
 * files; no tensor leaks.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { readOnnxNetwork } from '../src/explain/onnx/from-onnx.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';

const fixture = (name: string) => new URL(`./fixtures/onnx/${name}`, import.meta.url).pathname;

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const MODELS: Array<[string, 'NCHW' | 'NHWC', boolean]> = [
  ['cnn-bn.onnx', 'NCHW', false],
  ['resnet.onnx', 'NCHW', false],
  ['ops.onnx', 'NHWC', true],
  ['ops-opset10.onnx', 'NHWC', true],
  ['resnet-opset13.onnx', 'NCHW', false],
];

describe('forward pass against onnxruntime-node', () => {
  for (const [file, layout, softmax] of MODELS) {
    it(`${file} (${layout} input${softmax ? ', softmax at the end' : ''})`, async () => {
      const network = readOnnxNetwork(fixture(file));
      const x = tf.randomUniform([5, ...network.inputShape], 0, 1, 'float32', 11);
      const ours = tf.tidy(() => {
        const logits = network.forward(x);
        return Array.from((softmax ? tf.softmax(logits) : logits).dataSync());
      });
      const session = await ort.InferenceSession.create(fixture(file));
      const onnxInput = tf.tidy(() => (layout === 'NCHW' ? tf.transpose(x, [0, 3, 1, 2]) : tf.clone(x)));
      const result = await session.run({
        [session.inputNames[0]]: new ort.Tensor('float32', onnxInput.dataSync() as Float32Array, onnxInput.shape),
      });
      const reference = result[session.outputNames[0]].data as Float32Array;
      expect(ours).toHaveLength(reference.length);
      ours.forEach((v, i) => expect(Math.abs(v - reference[i])).toBeLessThan(1e-5));
      await session.release();
      tf.dispose([x, onnxInput]);
      network.dispose();
    });
  }

  it('reads the layouts and folds batch norm into the convolution before it, else keeps an affine layer', () => {
    const cnn = readOnnxNetwork(fixture('cnn-bn.onnx'));
    expect(cnn.inputShape).toEqual([10, 10, 2]);
    expect(cnn.layers.map((l) => l.kind)).not.toContain('affine');
    const ops = readOnnxNetwork(fixture('ops.onnx'));
    expect(ops.inputShape).toEqual([8, 8, 2]);
    const kinds = ops.layers.map((l) => l.kind);
    for (const kind of ['pad', 'leaky-relu', 'clip', 'affine', 'average-pooling2d', 'dense'])
      expect(kinds).toContain(kind);
    expect(kinds).not.toContain('softmax');
    const resnet = readOnnxNetwork(fixture('resnet.onnx'));
    expect(resnet.isChain).toBe(false);
    expect(resnet.layers.filter((l) => l.kind === 'add')).toHaveLength(2);
    expect(resnet.layers.filter((l) => l.kind === 'concat')).toHaveLength(1);
    for (const n of [cnn, ops, resnet]) n.dispose();
  });
});

describe('errors', () => {
  it('lists every unsupported operator in one line', () => {
    expect(() => readOnnxNetwork(fixture('unsupported.onnx'))).toThrow(UserError);
    expect(() => readOnnxNetwork(fixture('unsupported.onnx'))).toThrow(
      /unsupported ONNX operators: (Sin \(2 nodes\), Erf|Erf, Sin \(2 nodes\));/,
    );
  });

  it('a file that is not ONNX, and a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-onnx-'));
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'this is not a protobuf message at all');
    expect(() => readOnnxNetwork(bad)).toThrow(UserError);
    expect(() => readOnnxNetwork(join(dir, 'missing.onnx'))).toThrow(/does not exist/);
  });
});

it('explaining an imported graph keeps the tensor count stable', () => {
  const network = readOnnxNetwork(fixture('ops.onnx'));
  const x = tf.randomUniform([2, ...network.inputShape], 0, 1, 'float32', 2);
  const composite = parseComposite('lrp:epsilon-gamma-box');
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) {
    const r = explainLRP(network, x, { composite, target: 'predicted' });
    expect(r.relevance.shape).toEqual(x.shape);
    tf.dispose([r.relevance, r.output]);
  }
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  network.dispose();
});
