import { Option, type Command } from 'commander';
import { checkOutputFolder } from '../io/output-folder.ts';
import { parseCount, parseNu } from './options.ts';
import { REPORT_CLASSIFIER_METHODS } from './report.ts';
import { startRuntime } from './runtime-start.ts';

/** Defaults chosen so that the whole demo takes about three minutes on two cores. */
const DEMO = { top: '20', reportTop: '12', flipTop: '50', flipSteps: '49', igSteps: '16', classifierSamples: '6' };

const hidden = (flags: string, description: string, value?: string) => {
  const option = new Option(flags, description).hideHelp();
  return value === undefined ? option : option.default(value);
};

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the whole job on the MNIST digits: train, list and explain the top outliers, evaluate by pixel flipping, write report.html',
    )
    .option(
      '--out <dir>',
      'folder for the run, the explanations and the report (a new or empty folder, or an earlier demo)',
      'runs/demo',
    )
    .option('--fresh', 'train again even when the folder holds a run with the same settings')
    .addOption(hidden('--data <spec>', 'data set', 'mnist'))
    .addOption(hidden('--features <kind>', 'cnn, mlp or pixels', 'cnn'))
    .addOption(hidden('--epochs <n>', 'feature network epochs'))
    .addOption(hidden('--nu <value>', 'ν of the one-class SVM', '0.1'))
    .addOption(hidden('--seed <n>', 'seed', '0'))
    .addOption(hidden('--top <n>', 'outliers listed and explained', DEMO.top))
    .addOption(hidden('--report-top <n>', 'outliers in the report', DEMO.reportTop))
    .addOption(hidden('--flip-top <n>', 'outliers flipped', DEMO.flipTop))
    .addOption(hidden('--flip-steps <n>', 'points of each flipping curve', DEMO.flipSteps))
    .addOption(hidden('--ig-steps <n>', 'integrated gradients: steps', DEMO.igSteps))
    .addOption(hidden('--classifier-samples <n>', 'classifier explanations in the report', DEMO.classifierSamples))
    .action(async (o) => {
      const options = {
        out: o.out as string,
        fresh: Boolean(o.fresh),
        data: o.data as string,
        features: o.features as string,
        epochs: o.epochs === undefined ? undefined : parseCount(o.epochs, '--epochs'),
        nu: parseNu(o.nu),
        seed: parseCount(o.seed, '--seed', 0),
        top: parseCount(o.top, '--top'),
        reportTop: parseCount(o.reportTop, '--report-top'),
        flipTop: parseCount(o.flipTop, '--flip-top'),
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
      console.log(`top ${summary.outliers.length} outliers of ${summary.runDir}:`);
      console.log(
        textTable(
          ['rank', 'index', 'label', 'o(x)', 'decision'],
          summary.outliers.map((s) => [
            String(s.rank),
            String(s.index),
            s.label,
            s.outlierness.toPrecision(6),
            s.decision.toExponential(4),
          ]),
        ),
      );
      console.log(`explanations (every method) written to ${summary.explainDir}`);
      console.log(
        `\npixel flipping of the top ${summary.flipping.nSamples} outliers (o(x), reference nearest inlier; lower is better):`,
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
      console.log(
        summary.rocAuc === null
          ? 'ROC AUC: none (every digit counts as normal; no anomaly labels)'
          : `ROC AUC: ${summary.rocAuc.toFixed(4)}`,
      );
      console.log(`report: ${summary.reportPath}`);
    });
}
