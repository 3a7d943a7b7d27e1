import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { ANOMALY_TYPES, type AnomalyType } from '../data/planted-anomalies.ts';
import { parseOcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';
import { DEFAULT_COMPOSITE, parseOutlierMethod } from '../neuralize/method-names.ts';
import {
  BENCHMARK_BASELINES,
  DEFAULT_BENCHMARK_VARIANTS,
  FEATURE_SPACES,
  type FeatureSpace,
} from '../run/benchmark-names.ts';
import { parseCount, parseGammaOption, parseNu, parseNumber } from './options.ts';
import { startRuntime } from './runtime-start.ts';
import { checkOutputFolder } from '../io/output-folder.ts';

/** Comma-separated values, each one of `allowed`. */
function parseChoices<T extends string>(value: string, allowed: readonly T[], option: string): T[] {
  const items = value.split(',').map((v) => v.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UserError(`${option}: '${item}' is not one of ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}

export function register(program: Command): void {
  program
    .command('benchmark')
    .description(
      'plant anomalies with known masks into images of chosen classes, fit the one-class SVM, and score every outlier explanation against the masks (detection, pixel ROC AUC, top-|mask| precision, pixel flipping)',
    )
    .option('--data <spec>', 'labelled images: mnist, png:DIR (one sub-folder per class)', 'mnist')
    .option('--classes <list>', 'the classes that are made normal, one setting each', '0,1,7')
    .option('--per-class <n>', 'samples of each class', '800')
    .option('--rate <share>', 'share of the samples that get an anomaly', '0.1')
    .option('--types <list>', `anomaly types: ${ANOMALY_TYPES.join(', ')}`, ANOMALY_TYPES.join(','))
    .option('--features <list>', `feature spaces: ${FEATURE_SPACES.join(', ')}`, FEATURE_SPACES.join(','))
    .option(
      '--feature-model <path>',
      'cnn features from this tfjs classifier (trained on clean data) instead of training one',
    )
    .option('--epochs <n>', 'epochs of the feature network trained on clean data', '6')
    .option(
      '--ocdtd <list>',
      "OC-DTD variants, separated by ';' (e.g. 'plain;hull:k=10')",
      DEFAULT_BENCHMARK_VARIANTS.join(';'),
    )
    .option('--baselines <list>', `baseline methods: ${BENCHMARK_BASELINES.join(', ')}`, BENCHMARK_BASELINES.join(','))
    .option('--composite <name>', 'LRP composite below the features for the variants with deep=lrp', DEFAULT_COMPOSITE)
    .option('--nu <value>', 'ν of the one-class SVM', '0.1')
    .option('--gamma <value>', "kernel width: a number, 'scale' or 'auto'", 'scale')
    .option('--flip <n>', 'planted samples of each type and class that are also flipped', '8')
    .option('--seed <n>', 'seed of every random choice', '0')
    .requiredOption('--out <dir>', 'folder to write (benchmark.json, report.html)')
    .action(async (o) => {
      const rate = parseNumber(o.rate, '--rate');
      if (!(rate > 0 && rate < 1)) throw new UserError(`--rate must be in (0, 1) (got ${o.rate})`);
      const options = {
        data: o.data as string,
        classes: String(o.classes)
          .split(',')
          .map((c) => c.trim()),
        perClass: parseCount(o.perClass, '--per-class', 10),
        rate,
        types: parseChoices<AnomalyType>(o.types, ANOMALY_TYPES, '--types'),
        features: parseChoices<FeatureSpace>(o.features, FEATURE_SPACES, '--features'),
        featureModel: o.featureModel as string | undefined,
        epochs: parseCount(o.epochs, '--epochs'),
        variants: String(o.ocdtd)
          .split(';')
          .map((v) => parseOcdtdVariant(v.trim(), '--ocdtd')),
        baselines: String(o.baselines)
          .split(',')
          .map((m) => parseOutlierMethod(m.trim(), '--baselines')),
        composite: o.composite as string,
        nu: parseNu(o.nu),
        gamma: parseGammaOption(o.gamma),
        flipPerType: parseCount(o.flip, '--flip'),
        seed: parseCount(o.seed, '--seed', 0),
        out: o.out as string,
      };
      if (options.baselines.includes('ocdtd')) throw new UserError('--baselines: name OC-DTD variants with --ocdtd');
      checkOutputFolder(options.out, 'benchmark');
      const { progress } = await startRuntime(program);
      const { benchmarkRun, BENCHMARK_REPORT } = await import('../run/benchmark-run.ts');
      const { benchmarkText } = await import('../run/benchmark-table.ts');
      const { resolveComposite } = await import('../neuralize/explain-output.ts');
      resolveComposite(options.composite); // an unknown name stops here, before any work
      const result = await benchmarkRun({ ...options, log: (line) => progress.stage(line) });
      console.log(benchmarkText(result));
      console.log(`written to ${o.out} (${BENCHMARK_REPORT})`);
    });
}
