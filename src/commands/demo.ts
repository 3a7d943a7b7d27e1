import { Option, type Command } from 'commander';
import { checkOutputFolder } from '../io/output-folder.ts';
import { parseCount, parseNu } from './options.ts';
import { REPORT_CLASSIFIER_METHODS } from './report.ts';
import { startRuntime } from './runtime-start.ts';

/**
 * Defaults chosen so that the whole demo takes at most three minutes on two cores: MNIST with
 * anomalies planted into 0.5 % of each digit, the autoencoder's residual as features (the space
 * that finds planted artefacts best, bench/detection.ts) trained for a few epochs, one SVM per digit.
 * Counts of outliers are per digit.
 */
const DEMO = {
  data: 'mnist:planted=0.005',
  features: 'ae',
  epochs: '3',
  top: '3',
  reportTop: '2',
  flipTop: '5',
  plantedRows: '8',
  flipSteps: '49',
  igSteps: '16',
  classifierSamples: '6',
};

const hidden = (flags: string, description: string, value?: string) => {
  const option = new Option(flags, description).hideHelp();
  return value === undefined ? option : option.default(value);
};

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole job on the MNIST digits with a few planted anomalies: train, list and explain the top outliers of each digit, evaluate by pixel flipping, write report.html',
    )
    .option(
      '--out <dir>',
      'folder for the run, the explanations and the report (a new or empty folder, or an earlier demo)',
      'runs/demo',
    )
    .option('--fresh', 'train again even when the folder holds a run with the same settings')
    .addOption(hidden('--data <spec>', 'labelled data set', DEMO.data))
    .addOption(hidden('--features <kind>', 'as train --features', DEMO.features))
    .addOption(hidden('--epochs <n>', 'feature network epochs', DEMO.epochs))
    .addOption(hidden('--nu <value>', 'ν of the one-class SVM', '0.1'))
    .addOption(hidden('--seed <n>', 'seed', '0'))
    .addOption(hidden('--top <n>', 'outliers of each class listed and explained', DEMO.top))
    .addOption(hidden('--report-top <n>', 'outliers of each class in the report', DEMO.reportTop))
    .addOption(hidden('--flip-top <n>', 'outliers of each class flipped', DEMO.flipTop))
    .addOption(hidden('--planted-rows <n>', 'planted samples in the report', DEMO.plantedRows))
    .addOption(hidden('--flip-steps <n>', 'points of each flipping curve', DEMO.flipSteps))
    .addOption(hidden('--ig-steps <n>', 'integrated gradients: steps', DEMO.igSteps))
    .addOption(hidden('--classifier-samples <n>', 'classifier explanations in the report', DEMO.classifierSamples))
    .action(async (o) => {
      const options = {
        out: o.out as string,
        fresh: Boolean(o.fresh),
        data: o.data as string,
        features: o.features as string,
        epochs: parseCount(o.epochs, '--epochs'),
        nu: parseNu(o.nu),
        seed: parseCount(o.seed, '--seed', 0),
        top: parseCount(o.top, '--top'),
        reportTop: parseCount(o.reportTop, '--report-top'),
        flipTop: parseCount(o.flipTop, '--flip-top'),
        plantedRows: parseCount(o.plantedRows, '--planted-rows', 0),
        flipSteps: parseCount(o.flipSteps, '--flip-steps'),
        igSteps: parseCount(o.igSteps, '--ig-steps'),
        classifierSamples: parseCount(o.classifierSamples, '--classifier-samples', 0),
      };
      checkOutputFolder(options.out, 'demo');
      const started = performance.now();
      const { backend, progress } = await startRuntime(program);
      const { parseClassifierMethods } = await import('../explain/classifier-methods.ts');
      const { areaTable } = await import('../metrics/pixel-flipping.ts');
      const { runDemo } = await import('../run/demo-run.ts');
      const { areaTableText, textTable } = await import('../run/text-table.ts');
      const summary = await runDemo({
        ...options,
        classifierMethods: parseClassifierMethods(REPORT_CLASSIFIER_METHODS),
        backend,
        progress,
      });
      console.log(`top ${options.top} outliers of each class of ${summary.runDir} (ranked against their own class):`);
      console.log(
        textTable(
          ['label', 'rank', 'index', 'name', 'planted', 'o(x)', 'decision'],
          summary.outliers.map((s) => [
            s.label,
            String(s.rank),
            String(s.index),
            s.name,
            s.planted ?? '',
            s.outlierness.toPrecision(6),
            s.decision.toExponential(4),
          ]),
        ),
      );
      if (summary.planted.length > 0) {
        console.log('\nplanted anomalies:');
        for (const line of summary.planted) console.log(`  ${line.name}: ${line.value}`);
      }
      console.log(`explanations (every method) written to ${summary.explainDir}`);
      console.log(
        `\npixel flipping of the top ${options.flipTop} outliers of each class (${summary.flipping.nSamples} samples; o(x), reference nearest inlier; lower is better):`,
      );
      console.log(areaTableText(areaTable(summary.flipping)));
      console.log('\nsummary');
      console.log(
        textTable(
          ['step', 'seconds'],
          [
            ...(summary.reused ? [['train (reused)', '0.0']] : []),
            ...summary.steps.map((s) => [s.name, s.seconds.toFixed(1)]),
            ['total', ((performance.now() - started) / 1000).toFixed(1)],
          ],
        ),
      );
      console.log(`report: ${summary.reportPath}`);
    });
}
