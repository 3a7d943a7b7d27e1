import type { Command } from 'commander';
import { initRuntime } from '../runtime/runtime.ts';
import { trainRun } from '../run/train-run.ts';
import { parseGammaOption, parseNu, parseCount } from './options.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the features, fit the one-class SVM on them and score every sample')
    .requiredOption('--data <spec>', 'mnist, mnist:0,6, png:DIR or csv:FILE[,label=last]')
    .option(
      '--features <kind>',
      'pixels; cnn or mlp (classifiers, learn from the labels); ae (autoencoder) or geo (flip/turn prediction), which learn without labels; several joined by + (ae+geo); or model:PATH',
      'cnn',
    )
    .option(
      '--layer <names>',
      "layers whose values are the features, comma-separated (conv maps are pooled per channel; 'residual' is an autoencoder's x − x̂; with several networks 'ae:residual,geo:features'); default: the network's own",
    )
    .option('--epochs <n>', 'training epochs of the feature network(s)')
    .option('--kernel <name>', 'gaussian or laplacian', 'gaussian')
    .option('--nu <value>', 'ν in (0, 1]: upper bound on the fraction of training outliers', '0.1')
    .option('--gamma <value>', "kernel width: a positive number, 'scale' (1/(d·Var X)) or 'auto' (1/d)", 'scale')
    .option(
      '--normal <classes>',
      'comma-separated classes that are normal: the feature network and the SVM learn from these only, the rest count as anomalies',
    )
    .option(
      '--per-class',
      'one SVM per class: each sample is ranked against its own class (mislabelled, malformed samples)',
    )
    .option(
      '--test <spec>',
      'held-out data to score with what was fitted (its AUC with --normal), written to test-scores.csv',
    )
    .option('--seed <n>', 'seed of every random choice', '0')
    .requiredOption('--out <dir>', 'run folder to write')
    .action(async (o) => {
      const backend = await initRuntime({ backend: program.opts().backend });
      const { config } = await trainRun({
        data: o.data,
        features: o.features,
        featureLayers: o.layer,
        epochs: o.epochs === undefined ? undefined : parseCount(o.epochs, '--epochs'),
        kernel: o.kernel,
        nu: parseNu(o.nu),
        gamma: parseGammaOption(o.gamma),
        normal: o.normal
          ? String(o.normal)
              .split(',')
              .map((s: string) => s.trim())
          : undefined,
        perClass: Boolean(o.perClass),
        test: o.test,
        seed: parseCount(o.seed, '--seed', 0),
        out: o.out,
        backend,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(`run written to ${o.out}`);
      for (const m of config.models) {
        const which = m.className === null ? `${config.nSamples} samples` : `class ${m.className} (${m.nFit} samples)`;
        console.log(
          `${which}: ${m.nSupport} support vectors, ρ = ${m.rho.toPrecision(6)}, γ = ${m.gamma.toPrecision(6)}, fit in ${m.fitSeconds.toFixed(2)} s`,
        );
      }
      console.log(`${config.nOutliers} samples have a negative decision value (outliers)`);
      if (config.rocAuc !== null)
        console.log(
          `ROC AUC (normal: ${config.normal!.join(',')}; on the training samples): ${config.rocAuc.toFixed(4)}`,
        );
      if (config.test)
        console.log(
          `${config.test.nSamples} held-out samples scored (test-scores.csv)${config.test.rocAuc === null ? '' : `; ROC AUC on them: ${config.test.rocAuc.toFixed(4)}`}`,
        );
    });
}
