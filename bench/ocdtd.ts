/**
 * Timing of OC-DTD. (1) Raw pixels: 10,000 MNIST digits explained against a one-class SVM with about
 * 1,000 support vectors (fitted on 2,000 digits, ν = 0.5), target ≤ 2 s with the two-thread
 * OcdtdPool (the way to run it on this machine's two cores), one thread for reference. Three
 * products of 10,000 × ~1,000 × ~630 values make the bulk of it. (2) Deep features: OC-DTD
 * (deep-taylor) through the default MNIST CNN (random weights) for a batch of 256, as a ratio to
 * one input gradient of o(x) timed in the same run, target ≤ 2×. Medians of RUNS runs after a
 * warm-up. `npm run bench:ocdtd [-- --backend cpu]`.
 */
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { fromLayersModel } from '../src/explain/from-layers-model.ts';
import { OneClassSVM } from '../src/ocsvm/one-class-svm.ts';
import { neuralize } from '../src/neuralize/neuralize.ts';
import { ocdtd } from '../src/neuralize/ocdtd.ts';
import { OcdtdPool } from '../src/neuralize/ocdtd-pool.ts';

const RUNS = Number(process.env.RUNS ?? 5);
const backendArg = process.argv.indexOf('--backend');
const backend = await initRuntime({ quiet: true, backend: backendArg > 0 ? process.argv[backendArg + 1] : undefined });

interface Timing {
  /** wall-clock seconds */
  wall: number;
  /** CPU seconds of this process, worker threads included: what the wall time would be on one idle core */
  cpu: number;
}

/** Median wall and CPU time of `fn` after one warm-up; `fn` returns the tensors to read back and free. */
async function median(fn: () => tf.Tensor | tf.Tensor[] | Promise<tf.Tensor>, runs = RUNS): Promise<Timing> {
  const once = async (): Promise<Timing> => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const out = [await fn()].flat();
    await Promise.all(out.map((t) => t.data()));
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    tf.dispose(out);
    return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
  };
  await once();
  const times: Timing[] = [];
  for (let r = 0; r < runs; r++) times.push(await once());
  const mid = (key: keyof Timing) => times.map((t) => t[key]).sort((a, b) => a - b)[Math.floor(runs / 2)];
  return { wall: mid('wall'), cpu: mid('cpu') };
}

const show = (t: Timing, unit: 's' | 'ms') =>
  unit === 's'
    ? `${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} s CPU`
    : `${(1000 * t.wall).toFixed(0)} ms wall, ${(1000 * t.cpu).toFixed(0)} ms CPU`;

const mnist = loadMnist({ limit: 10_000 });
const d = 784;
console.log(`backend ${backend}, ${RUNS} runs per figure`);

// (1) raw pixels
{
  const fitN = 2000;
  const svm = new OneClassSVM({ kernel: 'rbf', nu: 0.5 }).fit({ data: mnist.x.subarray(0, fitN * d), n: fitN, d });
  const nz = neuralize(svm);
  const network = nz.network(null, [28, 28, 1]);
  const x = tf.tensor4d(mnist.x, [mnist.n, 28, 28, 1]);
  const pool = await OcdtdPool.start(svm, { workers: 1, inputShape: [28, 28, 1] });
  const pooled = await median(async () => (await pool.explain(x)).relevance, 3);
  await pool.close();
  console.log(
    `pixels: OC-DTD of ${mnist.n} samples against ${svm.nSupport} support vectors, OcdtdPool (main thread + 1 worker): ` +
      `${show(pooled, 's')} (target ≤ 2 s)`,
  );
  const single = await median(() => ocdtd(network, x).relevance, 3);
  console.log(`pixels: the same in one thread: ${show(single, 's')}`);
  x.dispose();
  nz.dispose();
}

// (2) deep features through the CNN
{
  const batch = 256;
  const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 0 });
  const full = fromLayersModel(model);
  const features = full.upTo('features');
  const fitN = 1000;
  const phi = tf.tidy(() => features.forward(tf.tensor4d(mnist.x.subarray(0, fitN * d), [fitN, 28, 28, 1])));
  const featureRows = phi.dataSync() as Float32Array;
  phi.dispose();
  const svm = new OneClassSVM({ kernel: 'rbf', nu: 0.1 }).fit({
    data: featureRows,
    n: fitN,
    d: featureRows.length / fitN,
  });
  const nz = neuralize(svm);
  const network = nz.network(features);
  const x = tf.tensor4d(mnist.x.subarray(fitN * d, (fitN + batch) * d), [batch, 28, 28, 1]);
  const gradient = tf.grad((input: tf.Tensor) => tf.sum(network.forward(input)));
  // alternate the two so that both see the same load on a shared machine
  const gradients: Timing[] = [];
  const explanations: Timing[] = [];
  for (let round = 0; round < RUNS; round++) {
    gradients.push(await median(() => gradient(x), 1));
    explanations.push(await median(() => ocdtd(network, x, { composite: 'deep-taylor' }).relevance, 1));
  }
  const mid = (ts: Timing[]): Timing => ({
    wall: ts.map((t) => t.wall).sort((a, b) => a - b)[Math.floor(ts.length / 2)],
    cpu: ts.map((t) => t.cpu).sort((a, b) => a - b)[Math.floor(ts.length / 2)],
  });
  const [g, e] = [mid(gradients), mid(explanations)];
  console.log(
    `deep: batch ${batch} through the CNN (${svm.nSupport} support vectors on ${featureRows.length / fitN} features): ` +
      `input gradient of o ${show(g, 'ms')}, OC-DTD ${show(e, 'ms')}, ` +
      `ratio ${(e.wall / g.wall).toFixed(2)}× wall, ${(e.cpu / g.cpu).toFixed(2)}× CPU (target ≤ 2×)`,
  );
  x.dispose();
  nz.dispose();
  full.dispose();
  model.dispose();
}
