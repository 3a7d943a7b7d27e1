/**
 * The LRP worker pool gives the same relevance as explainLRP in one thread (the batch is split
 * between the main thread and a worker holding a copy of the network rebuilt from its spec).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { readOnnxNetwork } from '../src/explain/onnx/from-onnx.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { LRPPool } from '../src/explain/lrp-pool.ts';
import { networkFromSpec, networkToSpec } from '../src/explain/network-spec.ts';
import type { ExplainableLayer, ExplainableNetwork } from '../src/explain/network.ts';
import { seededRandom, uniform } from './explain-lrp-reference.ts';

let model: tf.LayersModel;
let net: ExplainableNetwork;
let pool: LRPPool;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const init = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed }),
  });
  model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        ...init(1),
      }),
      tf.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6, activation: 'relu', ...init(2) }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 4, ...init(3) }),
    ],
  });
  net = fromLayersModel(model);
  pool = await LRPPool.start(net, { workers: 1 });
});

afterAll(async () => {
  await pool?.close();
  net?.dispose();
  model?.dispose();
});

const batch = (n: number, seed: number) => tf.tensor(uniform(seededRandom(seed), n * 64, 0, 1), [n, 8, 8, 1]);

describe('LRPPool', () => {
  it('a network rebuilt from its spec computes the same outputs', () => {
    const copy = networkFromSpec(networkToSpec(net));
    const x = batch(3, 1);
    expect(Array.from(copy.forward(x).dataSync())).toEqual(Array.from(net.forward(x).dataSync()));
    expect(copy.layers.map((l) => `${l.kind}:${l.name}`)).toEqual(net.layers.map((l) => `${l.kind}:${l.name}`));
    copy.dispose();
    x.dispose();
  });

  it.each(['lrp:epsilon-plus-flat', 'lrp:epsilon-gamma-box', 'lrp:epsilon-alpha2-beta1'])(
    '%s: same relevance, outputs and targets as one thread',
    async (method) => {
      const x = batch(7, 2);
      const before = tf.memory().numTensors;
      for (const target of ['predicted', [0, 1, 2, 3, 3, 2, 1]] as const) {
        const serial = explainLRP(net, x, { composite: parseComposite(method), target });
        const parallel = await pool.explain(x, { method, target });
        expect(parallel.relevance.shape).toEqual([7, 8, 8, 1]);
        const a = serial.relevance.dataSync();
        const b = parallel.relevance.dataSync();
        const scale = Math.max(...Array.from(a, Math.abs));
        expect(scale).toBeGreaterThan(0);
        a.forEach((v, i) => expect(Math.abs(b[i] - v)).toBeLessThanOrEqual(1e-6 * scale));
        expect(Array.from(parallel.target)).toEqual(Array.from(serial.target));
        expect(Array.from(parallel.output.dataSync())).toEqual(Array.from(serial.output.dataSync()));
        tf.dispose([serial.relevance, serial.output, parallel.relevance, parallel.output]);
      }
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    },
  );

  it('an ONNX graph network (affine, transpose, pad layers) gives the one-thread relevance', async () => {
    const graph = readOnnxNetwork(new URL('./fixtures/onnx/ops.onnx', import.meta.url).pathname);
    const graphPool = await LRPPool.start(graph, { workers: 1 });
    try {
      const x = tf.randomUniform([6, ...graph.inputShape], 0, 1, 'float32', 3);
      const serial = explainLRP(graph, x, { composite: parseComposite('lrp:epsilon-gamma-box'), target: 'predicted' });
      const parallel = await graphPool.explain(x, { method: 'lrp:epsilon-gamma-box', target: 'predicted' });
      const a = serial.relevance.dataSync();
      const b = parallel.relevance.dataSync();
      const scale = Math.max(...Array.from(a, Math.abs));
      a.forEach((v, i) => expect(Math.abs(b[i] - v)).toBeLessThanOrEqual(1e-6 * scale));
      tf.dispose([x, serial.relevance, serial.output, parallel.relevance, parallel.output]);
    } finally {
      await graphPool.close();
      graph.dispose();
    }
  });

  it("reports a worker's bad class index as a UserError and keeps working", async () => {
    const x = batch(4, 3);
    const before = tf.memory().numTensors;
    await expect(pool.explain(x, { method: 'lrp:0', target: [0, 0, 0, 9] })).rejects.toThrow(UserError);
    await expect(pool.explain(x, { method: 'lrp:0', target: [0, 0, 0, 9] })).rejects.toThrow(
      /class index 9 out of range/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const ok = await pool.explain(x, { method: 'lrp:0', target: 1 });
    expect(Array.from(ok.target)).toEqual([1, 1, 1, 1]);
    tf.dispose([ok.relevance, ok.output, x]);
  });

  it('refuses a network with layers it cannot send to a worker', async () => {
    const custom: ExplainableLayer = {
      name: 'custom',
      kind: 'custom',
      forward: (a) => a,
      relevance: (_a, R) => R,
      dispose: () => {},
    };
    await expect(LRPPool.start(net.extend(custom))).rejects.toThrow(/'custom' of kind 'custom' cannot be sent/);
  });
});
