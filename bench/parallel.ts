/**
 * One thread against two (main thread + 1 worker) for one-class SVM scoring (ParallelScorer:
 * 10,000 MNIST pixel rows, ν = 0.1, γ = 'scale', 1,035 support vectors) and CNN feature extraction
 * (ParallelExtractor: the 128 'features' of 10,000 digits; an untrained network, which costs the
 * same as a trained one). On a shared machine other people's work halves what two threads can
 * gain, so a pair of runs (1 thread, then 2) is kept only when the machine had at least 1.8 idle
 * cores in the 300 ms before it (/proc/stat); kept runs are summarised by their median wall time
 * and the process's CPU seconds (all threads). The pools' start-up is timed the same way.
 *
 * `npx tsx bench/parallel.ts [--seconds 180]` (time spent collecting runs).
 */
import { readFileSync } from 'node:fs';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { networkExtractor } from '../src/features/extractor.ts';
import { ParallelExtractor } from '../src/features/parallel-extractor.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { ParallelScorer } from '../src/ocsvm/parallel-scorer.ts';
import { loadMnistPixels } from '../test/support/mnist-pixels.ts';

const IDLE_CORES = 1.8;
const i = process.argv.indexOf('--seconds');
const budgetMs = 1000 * Number(i > 0 ? process.argv[i + 1] : 180);

interface Timing {
  wall: number;
  cpu: number;
}

async function timed(run: () => unknown): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

function cpuTicks(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], total: fields.reduce((a, b) => a + b, 0) };
}

/** Wait until the machine had IDLE_CORES idle cores over 300 ms. */
async function quietMachine(): Promise<void> {
  for (;;) {
    const a = cpuTicks();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const b = cpuTicks();
    const cores = (b.total - a.total) / 100 / 0.3; // USER_HZ = 100 per core
    if (((b.idle - a.idle) / (b.total - a.total)) * cores >= IDLE_CORES) return;
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const summary = (what: string, runs: Timing[]) =>
  console.log(
    `${what.padEnd(34)} ${median(runs.map((t) => t.wall)).toFixed(2)} s (CPU ${median(runs.map((t) => t.cpu)).toFixed(2)} s), median of ${runs.length} quiet runs`,
  );

await initRuntime({ quiet: true });
const n = 10000;
const pixels = { data: loadMnistPixels(n).data, n, d: 784 };
const svm = new OneClassSVM({ nu: 0.1, tol: 1e-3 }).fit(pixels);
const digits = loadMnist();
const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 1 });
const extractor = networkExtractor(model);
extractor.extract(digits.x.subarray(0, 512 * 784)); // warm-up

const starts = { scorer: [] as Timing[], extractor: [] as Timing[] };
let scorer!: ParallelScorer;
let parallelExtractor!: ParallelExtractor;
await quietMachine();
starts.scorer.push(await timed(async () => (scorer = await ParallelScorer.start(svm))));
await quietMachine();
starts.extractor.push(await timed(async () => (parallelExtractor = await ParallelExtractor.start(model))));

const runs = { score1: [] as Timing[], score2: [] as Timing[], extract1: [] as Timing[], extract2: [] as Timing[] };
const begin = performance.now();
for (let k = 0; performance.now() - begin < budgetMs; k++) {
  await quietMachine();
  if (k % 2 === 0) {
    runs.score1.push(await timed(() => svm.decisionFunction(pixels)));
    runs.score2.push(await timed(() => scorer.decisionFunction(pixels)));
  } else {
    runs.extract1.push(await timed(() => extractor.extract(digits)));
    runs.extract2.push(await timed(() => parallelExtractor.extract(digits)));
  }
}
await scorer.close();
await parallelExtractor.close();
model.dispose();

console.log(
  `${svm.nSupport} support vectors; ${n} rows scored, ${digits.n} digits through the CNN; at least ${IDLE_CORES} idle cores before each pair`,
);
summary('score, 1 thread', runs.score1);
summary('score, 2 threads', runs.score2);
summary('extract, 1 thread', runs.extract1);
summary('extract, 2 threads', runs.extract2);
summary('ParallelScorer start-up (once)', starts.scorer);
summary('ParallelExtractor start-up (once)', starts.extractor);
