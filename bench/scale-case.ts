/**
 * One measurement of bench/scale.ts, in its own process so that its peak memory (maxRSS) is its
 * own: `tsx bench/scale-case.ts ours|libsvm FILE N D [--one-thread-fit] [--cache-mb MB]`. Reads the
 * first N rows of D float32 features from FILE, prints one JSON line on stdout.
 *
 * ours: OneClassSVM.fitParallel (main thread + 1 worker; the worker's start-up is also timed on
 * its own), optionally fit on one thread as well
 * (its α and ρ must equal the two-thread ones); scoring all N on one thread and on two
 * (ParallelScorer, start-up timed apart). libsvm: libsvm-js 3.22 (WebAssembly) fit and predict.
 * Both: ν = 0.1, γ = scale, tol 1e-3. CPU seconds are the whole process's (all threads).
 * cli: one oc-explain command (train --max-train, score, explain on CSV files of n rows), for the
 * peak memory of scoring and explaining.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM, resolveGamma } from '../src/ocsvm/index.ts';
import { ParallelScorer } from '../src/ocsvm/parallel-scorer.ts';
import { SplitKernelRows } from '../src/ocsvm/split-kernel-rows.ts';

export const NU = 0.1;
export const TOL = 1e-3;
/** libsvm-js runs in a WebAssembly heap of at most 2 GB: its row cache gets 1 GB of it. */
export const LIBSVM_CACHE_MB = 1024;

const [role, file, nText, dText] = process.argv.slice(2);
const n = Number(nText);
const d = Number(dText);
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};

function readRows(path: string, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(path, 'r');
  try {
    let at = 0;
    while (at < bytes.length) {
      const got = readSync(fd, bytes, at, Math.min(1 << 26, bytes.length - at), at);
      if (got === 0) throw new Error(`${path}: fewer than ${rows} rows of ${dim} floats`);
      at += got;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

interface Timing {
  wall: number;
  cpu: number;
}

async function timed<T>(f: () => T | Promise<T>): Promise<{ value: T; time: Timing }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const value = await f();
  const u = process.cpuUsage(c);
  return { value, time: { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 } };
}

const peakMB = () => process.resourceUsage().maxRSS / 1024;

async function ours(): Promise<Record<string, unknown>> {
  await initRuntime({ quiet: true });
  const x = { data: readRows(file, n, d), n, d };
  const cacheMB = option('cache-mb') ? Number(option('cache-mb')) : undefined;
  // what starting the fit's worker costs (part of fit2): a pool started and closed on its own
  const rowsStart = await timed(async () => {
    const rows = await SplitKernelRows.start(x, 'rbf', resolveGamma('scale', x));
    await rows.close();
  });
  const fit2 = await timed(() => new OneClassSVM({ nu: NU, tol: TOL, cacheMB }).fitParallel(x));
  const svm = fit2.value;
  const result: Record<string, unknown> = {
    fit2: fit2.time,
    rowsStart: rowsStart.time,
    nSV: svm.nSupport,
    rho: svm.rho,
    iterations: svm.iterations,
    fitPeakMB: peakMB(),
  };
  if (process.argv.includes('--one-thread-fit')) {
    const fit1 = await timed(() => new OneClassSVM({ nu: NU, tol: TOL, cacheMB }).fit(x));
    const same =
      fit1.value.rho === svm.rho &&
      fit1.value.nSupport === svm.nSupport &&
      svm.dualCoef.every(
        (a, k) => a === fit1.value.dualCoef[k] && svm.supportIndices[k] === fit1.value.supportIndices[k],
      );
    Object.assign(result, { fit1: fit1.time, sameAsOneThread: same });
  }
  const score1 = await timed(() => svm.decisionFunction(x));
  const start = await timed(() => ParallelScorer.start(svm, { workers: 1 }));
  const scorer = start.value;
  const score2 = await timed(() => scorer.decisionFunction(x));
  await scorer.close();
  let diff = 0;
  for (let r = 0; r < n; r++) diff = Math.max(diff, Math.abs(score2.value[r] - score1.value[r]));
  return { ...result, score1: score1.time, score2: score2.time, scorerStart: start.time, score2MaxDiff: diff };
}

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

/** libsvm prints its progress on stdout: keep stdout for the JSON line */
function quietly<T>(f: () => T): T {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return f();
  } finally {
    process.stdout.write = write;
  }
}

async function libsvm(): Promise<Record<string, unknown>> {
  const require = createRequire(import.meta.url);
  const SVM = (await quietly(() => require('libsvm-js') as Promise<LibsvmClass>)) as LibsvmClass;
  const data = readRows(file, n, d);
  const gamma = resolveGamma('scale', { data, n, d });
  const samples: number[][] = [];
  for (let i = 0; i < n; i++) samples.push(Array.from(data.subarray(i * d, i * d + d)));
  const lib = new SVM({
    type: SVM.SVM_TYPES.ONE_CLASS,
    kernel: SVM.KERNEL_TYPES.RBF,
    gamma,
    nu: NU,
    tolerance: TOL,
    cacheSize: LIBSVM_CACHE_MB,
    quiet: true,
  });
  const fit = await timed(() => quietly(() => lib.train(samples, new Array<number>(n).fill(0))));
  const nSV = lib.getSVIndices().length;
  const rho = Number(/\nrho (\S+)/.exec(lib.serializeModel())?.[1]);
  // the fit is reported even if predicting is what runs into the time cap
  console.log(JSON.stringify({ fit: fit.time, nSV, rho, fitPeakMB: peakMB() }));
  const score = await timed(() => lib.predict(samples));
  lib.free();
  return { fit: fit.time, nSV, rho, fitPeakMB: peakMB(), score: score.time };
}

/**
 * cli ARGS…: one oc-explain command run in this process (src/cli.ts main), for its time and peak
 * memory (the CLI's own supervising parent process is left out).
 */
async function cliCommand(): Promise<Record<string, unknown>> {
  const { main } = await import('../src/cli.ts');
  const args = process.argv.slice(3);
  const run = await timed(() => main(args));
  if (run.value !== 0) throw new Error(`oc-explain ${args.join(' ')}: exit code ${run.value}`);
  return { command: args[0], time: run.time };
}

const roles: Record<string, () => Promise<Record<string, unknown>>> = { ours, libsvm, cli: cliCommand };
const result = roles[role] ? await roles[role]() : null;
if (!result) throw new Error(`scale-case: role must be one of ${Object.keys(roles).join(', ')}, got '${role}'`);
console.log(JSON.stringify({ ...result, peakMB: peakMB() }));
