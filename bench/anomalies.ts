/**
 * The ground-truth anomaly benchmark (src/run/anomaly-benchmark.ts): MNIST digits of one class with
 * planted anomalies, every outlier explanation scored against the masks, on pixels and on the
 * features of a CNN trained on clean digits.
 *   npm run bench:anomalies [-- --classes 0,1,7 --per-class 800 --rate 0.1 --features pixels,cnn --ocdtd plain,hull --json FILE]
 */
import { writeFileSync } from 'node:fs';
import { initRuntime } from '../src/runtime/runtime.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { parseOcdtdVariant } from '../src/neuralize/ocdtd-variants.ts';
import { runAnomalyBenchmark, type FeatureSpace } from '../src/run/anomaly-benchmark.ts';
import { benchmarkText } from '../src/run/benchmark-table.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const number = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));

await initRuntime({ quiet: true });
const result = await runAnomalyBenchmark(loadMnist(), {
  classes: (flag('--classes') ?? '0,1,7').split(','),
  perClass: number('--per-class'),
  rate: number('--rate'),
  features: flag('--features')?.split(',') as FeatureSpace[] | undefined,
  variants: flag('--ocdtd')
    ?.split(';')
    .map((v) => parseOcdtdVariant(v)),
  nu: number('--nu'),
  flipPerType: number('--flip-per-type'),
  epochs: number('--epochs'),
  seed: number('--seed'),
  log: (line) => console.error(line),
});
console.log(benchmarkText(result));
const json = flag('--json');
if (json)
  writeFileSync(
    json,
    JSON.stringify(
      { settings: result.settings, scores: result.scores, detection: result.detection, gaps: result.gaps },
      null,
      1,
    ),
  );
