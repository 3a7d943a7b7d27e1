/**
 * Timing of the LRP engine on the default MNIST CNN (conv 32 3×3 relu → maxpool 2 → conv 64 3×3
 * relu → maxpool 2 → flatten → dense 128 relu → dense 10; random weights), batch 256 of 28×28×1:
 * forward pass, input gradient of the chosen logit, and LRP epsilon-plus-flat / epsilon-gamma-box,
 * medians of RUNS runs in the same process; LRP also on two threads (main + one worker, LRPPool).
 * `npm run bench:explain [-- --backend cpu]`.
 */
import { tf, initRuntime } from '../src/features/runtime.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { LRPPool } from '../src/explain/lrp-pool.ts';

const BATCH = 256;
const RUNS = Number(process.env.RUNS ?? 7);
const backendArg = process.argv.indexOf('--backend');
const backend = await initRuntime({ quiet: true, backend: backendArg > 0 ? process.argv[backendArg + 1] : undefined });

function mnistCnn(): tf.LayersModel {
  const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', name: 'conv1', ...seeded(1) }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2', ...seeded(2) }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 128, activation: 'relu', name: 'features', ...seeded(3) }),
      tf.layers.dense({ units: 10, name: 'logits', ...seeded(4) }),
    ],
  });
}

/** Median wall time (ms) of `fn`, after one warm-up run; `fn` returns tensors to read back and free. */
async function time(fn: () => tf.Tensor | tf.Tensor[] | Promise<tf.Tensor>): Promise<number> {
  const once = async () => {
    const start = performance.now();
    const out = [await fn()].flat();
    await Promise.all(out.map((t) => t.data()));
    const ms = performance.now() - start;
    tf.dispose(out);
    return ms;
  };
  await once();
  const times: number[] = [];
  for (let k = 0; k < RUNS; k++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const model = mnistCnn();
const net = fromLayersModel(model);
const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 7);
const target = (tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1)).dataSync() as Int32Array).slice();
const mask = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(target, 'int32'), 10), 'float32'));
const chosenLogit = (input: tf.Tensor) => tf.sum(tf.mul(model.apply(input, { training: false }) as tf.Tensor, mask));

const forward = await time(() => model.predict(x) as tf.Tensor);
const gradient = await time(() => tf.tidy(() => tf.grad(chosenLogit)(x)));
const lrp: Record<string, number> = {};
for (const method of ['lrp:epsilon-plus-flat', 'lrp:epsilon-gamma-box']) {
  const composite = parseComposite(method);
  lrp[method] = await time(() => {
    const r = explainLRP(net, x, { composite, target: Array.from(target) });
    r.output.dispose();
    return r.relevance;
  });
}

const pool = await LRPPool.start(net, { workers: 1 });
for (const method of ['lrp:epsilon-plus-flat', 'lrp:epsilon-gamma-box']) {
  lrp[`${method} (2 threads)`] = await time(async () => {
    const r = await pool.explain(x, { method, target: Array.from(target) });
    r.output.dispose();
    return r.relevance;
  });
}
await pool.close();

const row = (label: string, ms: number, ratio?: number) =>
  console.log(`${label.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms${ratio === undefined ? '' : `   ${ratio.toFixed(2)}× gradient`}`);
console.log(`explain bench: backend ${backend}, MNIST CNN, batch ${BATCH}, median of ${RUNS} runs`);
row('forward', forward);
row('gradient (tf.grad)', gradient);
for (const [method, ms] of Object.entries(lrp)) row(method, ms, ms / gradient);

tf.dispose([x, mask]);
net.dispose();
model.dispose();
