/**
 * The ground-truth anomaly benchmark (src/run/anomaly-benchmark.ts): MNIST digits of one class with
 * planted anomalies, every outlier explanation scored against the masks, on pixels and on the
 * features of a CNN trained on clean digits (kept in bench/out/anomaly-cnn-<seed>/ and reused).
 *   npm run bench:anomalies [-- --classes 0,1,7 --per-class 800 --rate 0.1 --features pixels,cnn
 *                              --ocdtd 'plain;hull:k=10' --nu 0.1 --composite deep-taylor --baselines nn,edge --json FILE]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { loadModel, saveModel } from '../src/features/model-io.ts';
import { parseOcdtdVariant } from '../src/neuralize/ocdtd-variant-names.ts';
import type { OutlierMethodName } from '../src/neuralize/method-names.ts';
import {
  runAnomalyBenchmark,
  trainBenchmarkNetwork,
  type AnomalyBenchmarkOptions,
  type FeatureSpace,
} from '../src/run/anomaly-benchmark.ts';
import { benchmarkText } from '../src/run/benchmark-table.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const number = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));

await initRuntime({ quiet: true });
const dataset = loadMnist();
const options: AnomalyBenchmarkOptions = {
  classes: (flag('--classes') ?? '0,1,7').split(','),
  perClass: number('--per-class'),
  rate: number('--rate'),
  features: flag('--features')?.split(',') as FeatureSpace[] | undefined,
  variants: flag('--ocdtd')
    ?.split(';')
    .map((v) => parseOcdtdVariant(v)),
  nu: number('--nu'),
  composite: flag('--composite'),
  baselines: flag('--baselines')?.split(',') as OutlierMethodName[] | undefined,
  flipPerType: number('--flip-per-type'),
  epochs: number('--epochs'),
  seed: number('--seed'),
  log: (line) => console.error(line),
};
if (!options.features || options.features.includes('cnn')) {
  // the network depends on the classes, samples per class, epochs and seed: one folder per choice
  const key = [options.classes.join('-'), options.perClass ?? 'd', options.epochs ?? 'd', options.seed ?? 0].join('_');
  const dir = `bench/out/anomaly-cnn-${key}`;
  if (existsSync(dir)) {
    options.featureModel = await loadModel(dir);
  } else {
    const { model, accuracy } = await trainBenchmarkNetwork(dataset, options);
    console.error(`feature network: held-out accuracy ${(100 * accuracy).toFixed(1)} %, kept in ${dir}`);
    await saveModel(model, dir);
    options.featureModel = model;
  }
}
const result = await runAnomalyBenchmark(dataset, options);
console.log(benchmarkText(result));
const json = flag('--json');
if (json) {
  const { settings, scores, detection, gaps } = result;
  writeFileSync(json, JSON.stringify({ settings, scores, detection, gaps }, null, 1));
}
