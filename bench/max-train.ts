/**
 * What `train --max-train N` costs in ROC AUC (npm run bench:max-train): MNIST-like digits
 * (bench/support/shifted-mnist.ts, default 50,000), raw pixels, normal classes 0–4 (the SVM is
 * fitted on them, 5–9 are the anomalies), ν = 0.1, γ = scale. For each N the SVM is fitted on the
 * seeded class-stratified subsample that the CLI takes (src/run/fit-sample.ts, seed 0) and every
 * sample is scored; N = all is the full fit. Prints fit time (two threads), support vectors, ROC
 * AUC of −f(x) for "not normal", and scoring time (two threads).
 *
 *   npm run bench:max-train [-- --n 50000 --sizes 1000,2000,5000,10000,all --normal 0,1,2,3,4]
 */
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM } from '../src/ocsvm/index.ts';
import { selectRows } from '../src/ocsvm/matrix.ts';
import { ParallelScorer } from '../src/ocsvm/parallel-scorer.ts';
import { rocAuc } from '../src/metrics/roc-auc.ts';
import { fitSampleIndices } from '../src/run/fit-sample.ts';
import { shiftedMnist } from './support/shifted-mnist.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const n = Number(option('n', '50000'));
const normal = new Set(option('normal', '0,1,2,3,4').split(',').map(Number));
const sizes = option('sizes', '1000,2000,5000,10000,all').split(',');

await initRuntime({ quiet: true });
const digits = shiftedMnist(n);
const all = { data: digits.data, n, d: digits.d };
const anomaly = Array.from(digits.labels, (c) => !normal.has(c));
const candidates = anomaly.filter((a) => !a).length;
console.log(
  `${n} digits (raw pixels), normal ${[...normal].join(',')}: ${candidates} fit candidates, ${n - candidates} anomalies; ν = 0.1, γ = scale, seed 0`,
);
console.log('| --max-train | fitted | fit, s (2 threads) | support vectors | ROC AUC | scoring all, s (2 threads) |');
console.log('|---|---|---|---|---|---|');
for (const size of sizes) {
  const maxTrain = size === 'all' ? null : Number(size);
  const fitted = fitSampleIndices(digits.labels, n, normal, maxTrain, 0);
  const t0 = performance.now();
  const svm = await new OneClassSVM({ nu: 0.1 }).fitParallel(selectRows(all, fitted));
  const fitSeconds = (performance.now() - t0) / 1000;
  const scorer = await ParallelScorer.start(svm);
  const t1 = performance.now();
  const f = await scorer.decisionFunction(all);
  const scoreSeconds = (performance.now() - t1) / 1000;
  await scorer.close();
  const auc = rocAuc(
    Float64Array.from(f, (v) => -v),
    anomaly,
  );
  console.log(
    `| ${size === 'all' ? 'all' : Number(size).toLocaleString('en')} | ${fitted.length.toLocaleString('en')} | ${fitSeconds.toFixed(1)} | ${svm.nSupport.toLocaleString('en')} | ${auc.toFixed(4)} | ${scoreSeconds.toFixed(1)} |`,
  );
}
