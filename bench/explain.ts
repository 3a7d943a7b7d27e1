/**
 * Timing of the LRP engine on the default MNIST CNN (conv 32 3×3 relu → maxpool 2 → conv 64 3×3
 * relu → maxpool 2 → flatten → dense 128 relu → dense 10; random weights), batch 256 of 28×28×1:
 * forward pass, input gradient of the chosen logit, and LRP epsilon-plus-flat / epsilon-gamma-box,
 * medians of RUNS runs in the same process; LRP also on two threads (main + one worker, LRPPool).
 * Then the same on a residual network of MNIST size (a tfjs functional model read as a graph: conv
 * 16 → two residual blocks, the second strided with a 1×1 shortcut → concatenation with a 1×1
 * branch → global average pooling → dense 10), with its own forward pass and gradient as baseline.
 * `npm run bench:explain [-- --backend cpu]`.
 */
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { explainLRP } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { LRPPool } from '../src/explain/lrp-pool.ts';

const BATCH = 256;
const RUNS = Number(process.env.RUNS ?? 7);
const backendArg = process.argv.indexOf('--backend');
const backend = await initRuntime({ quiet: true, backend: backendArg > 0 ? process.argv[backendArg + 1] : undefined });

function mnistCnn(): tf.LayersModel {
  const seeded = (seed: number) => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
  });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv1',
        ...seeded(1),
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2', ...seeded(2) }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ units: 128, activation: 'relu', name: 'features', ...seeded(3) }),
      tf.layers.dense({ units: 10, name: 'logits', ...seeded(4) }),
    ],
  });
}

type Task = () => tf.Tensor | Promise<tf.Tensor>;

/** Wall time (ms) of one run of `task`, including reading the result back. */
async function once(task: Task): Promise<number> {
  const start = performance.now();
  const out = await task();
  await out.data();
  const ms = performance.now() - start;
  out.dispose();
  return ms;
}

/**
 * Median time of every task, after one warm-up each. The tasks take turns within each round, so
 * that a busy machine slows them alike and the ratios stay meaningful.
 */
async function timeAll(tasks: Record<string, Task>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (const [name, task] of Object.entries(tasks)) {
    await once(task);
    times[name] = [];
  }
  for (let round = 0; round < RUNS; round++) {
    for (const [name, task] of Object.entries(tasks)) times[name].push(await once(task));
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return Object.fromEntries(Object.entries(times).map(([name, v]) => [name, median(v)]));
}

const model = mnistCnn();
const net = fromLayersModel(model);
const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 7);
const target = (tf.tidy(() => tf.argMax(model.predict(x) as tf.Tensor, 1)).dataSync() as Int32Array).slice();
const mask = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(target, 'int32'), 10), 'float32'));
const chosenLogit = (input: tf.Tensor) => tf.sum(tf.mul(model.apply(input, { training: false }) as tf.Tensor, mask));

const METHODS = ['lrp:epsilon-plus-flat', 'lrp:epsilon-gamma-box'];
const pool = await LRPPool.start(net, { workers: 1 });
const tasks: Record<string, Task> = {
  forward: () => model.predict(x) as tf.Tensor,
  'gradient (tf.grad)': () => tf.tidy(() => tf.grad(chosenLogit)(x)),
};
for (const method of METHODS) {
  const composite = parseComposite(method);
  tasks[method] = () => {
    const r = explainLRP(net, x, { composite, target: Array.from(target) });
    r.output.dispose();
    return r.relevance;
  };
}
for (const method of METHODS) {
  tasks[`${method} (2 threads)`] = async () => {
    const r = await pool.explain(x, { method, target: Array.from(target) });
    r.output.dispose();
    return r.relevance;
  };
}
const results = await timeAll(tasks);
await pool.close();
const gradient = results['gradient (tf.grad)'];

const row = (label: string, ms: number, ratio?: number) =>
  console.log(
    `${label.padEnd(36)} ${ms.toFixed(1).padStart(8)} ms${ratio === undefined ? '' : `   ${ratio.toFixed(2)}× gradient`}`,
  );
console.log(`explain bench: backend ${backend}, MNIST CNN, batch ${BATCH}, median of ${RUNS} runs`);
for (const [name, ms] of Object.entries(results)) row(name, ms, name.startsWith('lrp:') ? ms / gradient : undefined);

/** conv → [conv → conv] + skip → [conv(stride 2) → conv] + 1×1 shortcut → concat with a 1×1 branch → GAP → dense. */
function residualCnn(): tf.LayersModel {
  let seed = 10;
  const conv = (filters: number, kernelSize: number, strides = 1, activation: 'relu' | 'linear' = 'relu') =>
    tf.layers.conv2d({
      filters,
      kernelSize,
      strides,
      padding: 'same',
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: seed++ }),
    });
  const apply = (layer: tf.layers.Layer, t: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
    layer.apply(t) as tf.SymbolicTensor;
  const input = tf.input({ shape: [28, 28, 1] });
  let h = apply(conv(16, 3), input);
  let y = apply(conv(16, 3, 1, 'linear'), apply(conv(16, 3), h));
  h = apply(tf.layers.reLU(), apply(tf.layers.add(), [y, h]));
  y = apply(conv(32, 3, 1, 'linear'), apply(conv(32, 3, 2), h));
  h = apply(tf.layers.reLU(), apply(tf.layers.add(), [y, apply(conv(32, 1, 2, 'linear'), h)]));
  h = apply(tf.layers.concatenate(), [h, apply(conv(16, 1), h)]);
  h = apply(tf.layers.globalAveragePooling2d({}), h);
  const out = apply(tf.layers.dense({ units: 10, kernelInitializer: tf.initializers.glorotUniform({ seed }) }), h);
  return tf.model({ inputs: input, outputs: out });
}

const resnetModel = residualCnn();
const resnet = fromLayersModel(resnetModel);
const resnetTarget = (tf.tidy(() => tf.argMax(resnet.forward(x), 1)).dataSync() as Int32Array).slice();
const resnetMask = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(resnetTarget, 'int32'), 10), 'float32'));
const resnetTasks: Record<string, Task> = {
  'tfjs forward (model.predict)': () => resnetModel.predict(x) as tf.Tensor,
  'engine forward (graph)': () => resnet.forward(x),
  'gradient (tf.grad, graph)': () =>
    tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(tf.mul(resnet.forward(input), resnetMask)))(x)),
};
for (const method of [...METHODS, 'lrp:epsilon-alpha2-beta1', 'lrp:deep-taylor']) {
  const composite = parseComposite(method);
  resnetTasks[method] = () => {
    const r = explainLRP(resnet, x, { composite, target: Array.from(resnetTarget) });
    r.output.dispose();
    return r.relevance;
  };
}
const resnetResults = await timeAll(resnetTasks);
const resnetGradient = resnetResults['gradient (tf.grad, graph)'];
console.log(
  `\nresidual network (${resnet.layers.length} layers, 2 adds, 1 concat), batch ${BATCH}, median of ${RUNS} runs`,
);
for (const [name, ms] of Object.entries(resnetResults))
  row(name, ms, name.startsWith('lrp:') ? ms / resnetGradient : undefined);

tf.dispose([x, mask, resnetMask]);
net.dispose();
model.dispose();
resnet.dispose();
resnetModel.dispose();
