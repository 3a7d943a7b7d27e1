/**
 * One-class SVM benchmark (npm run bench:ocsvm): MNIST pixels (784-d, [0, 1]), ν = 0.1,
 * γ = 'scale', tol 1e-3, for n = 2,000 / 5,000 / 10,000. Times our fit and the scoring of all n
 * samples next to libsvm-js (emscripten libsvm 3.22, WebAssembly build) in the same run, with the
 * same γ, ν, tolerance and a 1 GB kernel cache on both sides; prints ratios (ours / libsvm).
 * Checks: ρ, support-set size and predicted labels against libsvm-js (both solutions are only
 * 1e-3-accurate, so points within that of the boundary may differ), and our decision values
 * against an exact float64 evaluation of Σ α k − ρ with the same α (on 1,000 evenly spaced samples).
 *
 * Scoring is also timed on two threads (ParallelScorer: the main thread + 1 worker); the pool's
 * start-up (worker thread, tsx, tfjs, wasm, support vectors) is timed on its own, once per size.
 * CPU seconds are those of the whole process (all threads).
 *
 * Options: --sizes 2000,5000 --repeats 3 (our side; libsvm runs once per size, it is slow).
 */
import { createRequire } from 'node:module';
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM, kernelValue } from '../src/ocsvm/index.ts';
import { ParallelScorer } from '../src/ocsvm/parallel-scorer.ts';
import { loadMnistPixels } from '../test/support/mnist-pixels.ts';

interface LibsvmModel {
  train(samples: number[][], labels: number[]): void;
  predict(samples: number[][]): number[];
  getSVIndices(): number[];
  serializeModel(): string;
  free(): void;
}
interface LibsvmClass {
  new (options: Record<string, unknown>): LibsvmModel;
  SVM_TYPES: Record<string, string>;
  KERNEL_TYPES: Record<string, string>;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '2000,5000,10000').split(',').map(Number);
const repeats = Number(arg('repeats', '3'));
const NU = 0.1;
const TOL = 1e-3;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Timing {
  wall: number;
  /** CPU seconds of this process: fairer than wall time on a shared machine */
  cpu: number;
}

function seconds(f: () => void): Timing {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  const u = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

async function secondsAsync(f: () => Promise<unknown>): Promise<Timing> {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  const u = process.cpuUsage(c);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}

const timing = (t: Timing) => `${t.wall.toFixed(2)} s (CPU ${t.cpu.toFixed(2)} s)`;

function medianTiming(v: Timing[]): Timing {
  return { wall: median(v.map((t) => t.wall)), cpu: median(v.map((t) => t.cpu)) };
}

function compare(what: string, ours: Timing, lib: Timing): string {
  return (
    `${what} ${ours.wall.toFixed(2)} s vs libsvm ${lib.wall.toFixed(2)} s (ratio ${(ours.wall / lib.wall).toFixed(3)}; ` +
    `CPU ${ours.cpu.toFixed(2)} vs ${lib.cpu.toFixed(2)} s, ratio ${(ours.cpu / lib.cpu).toFixed(3)})`
  );
}

/** libsvm prints its progress on stdout; keep the bench output readable */
function quietly<T>(f: () => T): T {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return f();
  } finally {
    process.stdout.write = write;
  }
}

const require = createRequire(import.meta.url);
const SVM = (await quietly(() => require('libsvm-js') as Promise<LibsvmClass>)) as LibsvmClass;

await initRuntime({ quiet: true });
const all = loadMnistPixels(Math.max(...sizes));
console.log(`one-class SVM on MNIST pixels (d=784), nu=${NU}, gamma=scale, tol=${TOL}; our runs: median of ${repeats}`);
const rows: string[] = [];
for (const n of sizes) {
  const X = { data: all.data.subarray(0, n * 784), n, d: 784 };
  let svm = new OneClassSVM({ nu: NU, tol: TOL });
  const fitTimes: Timing[] = [];
  const scoreTimes: Timing[] = [];
  let f: Float64Array = new Float64Array(0);
  for (let r = 0; r < (n >= 10000 ? Math.min(repeats, 2) : repeats); r++) {
    svm = new OneClassSVM({ nu: NU, tol: TOL });
    fitTimes.push(seconds(() => svm.fit(X)));
    scoreTimes.push(seconds(() => (f = svm.decisionFunction(X))));
  }

  // the same scoring on two threads; the pool is started once and reused
  let scorer: ParallelScorer | null = null;
  const startup = await secondsAsync(async () => (scorer = await ParallelScorer.start(svm, { workers: 1 })));
  const parallelTimes: Timing[] = [];
  let fParallel: Float64Array = new Float64Array(0);
  for (let r = 0; r < repeats; r++)
    parallelTimes.push(await secondsAsync(async () => (fParallel = await scorer!.decisionFunction(X))));
  await scorer!.close();
  let parallelDiff = 0;
  for (let r = 0; r < n; r++) parallelDiff = Math.max(parallelDiff, Math.abs(fParallel[r] - f[r]));

  // exact float64 reference of our decision values, same α and ρ
  let maxAbs = 0;
  let maxRel = 0;
  const step = Math.max(1, Math.floor(n / 1000));
  for (let r = 0; r < n; r += step) {
    let s = 0;
    for (let k = 0; k < svm.nSupport; k++)
      s += svm.dualCoef[k] * kernelValue('rbf', svm.gamma, X.data, r * 784, svm.supportVectors, k * 784, 784);
    const exact = s - svm.rho;
    maxAbs = Math.max(maxAbs, Math.abs(f[r] - exact));
    // relative to |f|, or to ρ near the boundary where f → 0 and a bare relative error means nothing
    maxRel = Math.max(maxRel, Math.abs(f[r] - exact) / Math.max(Math.abs(exact), svm.rho));
  }

  // libsvm-js, same problem
  const samples: number[][] = [];
  for (let i = 0; i < n; i++) samples.push(Array.from(X.data.subarray(i * 784, i * 784 + 784)));
  const lib = new SVM({
    type: SVM.SVM_TYPES.ONE_CLASS,
    kernel: SVM.KERNEL_TYPES.RBF,
    gamma: svm.gamma,
    nu: NU,
    tolerance: TOL,
    cacheSize: 1024,
    quiet: true,
  });
  const libFit = seconds(() => quietly(() => lib.train(samples, new Array(n).fill(0))));
  let libPred: number[] = [];
  const libScore = seconds(() => (libPred = lib.predict(samples)));
  const libRho = Number(/\nrho (\S+)/.exec(lib.serializeModel())?.[1]);
  const libSV = lib.getSVIndices().length;
  lib.free();
  let disagree = 0;
  for (let i = 0; i < n; i++) if ((f[i] > 0 ? 1 : -1) !== libPred[i]) disagree++;

  rows.push(
    `n=${n}: ${compare('fit', medianTiming(fitTimes), libFit)}, ${compare('score', medianTiming(scoreTimes), libScore)}; ` +
      `iterations ${svm.iterations}, nSV ${svm.nSupport} vs ${libSV}, rho ${svm.rho.toFixed(5)} vs ${libRho}, ` +
      `labels differing ${disagree}; decision vs float64: max abs ${maxAbs.toExponential(2)}, max rel (to max(|f|, rho)) ${maxRel.toExponential(2)}; ` +
      `score on 2 threads ${timing(medianTiming(parallelTimes))} (median of ${repeats}; max abs difference to 1 thread ${parallelDiff.toExponential(2)}), ` +
      `their start-up ${timing(startup)} (once, not included)`,
  );
  console.log(rows[rows.length - 1]);
}
