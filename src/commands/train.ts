import type { Command } from 'commander';
import { checkOutputFolder } from '../io/output-folder.ts';
import { checkTrainChoices } from '../run/train-options.ts';
import { parseGammaOption, parseNu, parseCount, parseThreads } from './options.ts';
import { startRuntime } from './runtime-start.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the features, fit the one-class SVM on them and score every sample')
    .requiredOption('--data <spec>', 'mnist, mnist:0,6, png:DIR or csv:FILE[,label=last][,shape=HxW[xC]]')
    .option(
      '--features <kind>',
      'pixels; cnn or mlp (classifiers, learn from the labels); ae (autoencoder) or geo (flip/turn prediction), which learn without labels; several joined by + (ae+geo); or model:PATH (an .onnx file or a tfjs layers model)',
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
    .option(
      '--max-train <n>',
      'fit the SVM on a seeded class-stratified subsample of at most n of its samples; every sample is still scored',
    )
    .option('--threads <n>', "1, 2, or auto (two where the work pays for the worker's start-up)", 'auto')
    .option('--seed <n>', 'seed of every random choice', '0')
    .requiredOption('--out <dir>', 'run folder to write (a new or empty folder, or an earlier run)')
    .action(async (o) => {
      const options = {
        data: o.data as string,
        features: o.features as string,
        featureLayers: o.layer as string | undefined,
        epochs: o.epochs === undefined ? undefined : parseCount(o.epochs, '--epochs'),
        kernel: o.kernel as string,
        nu: parseNu(o.nu),
        gamma: parseGammaOption(o.gamma),
        normal: o.normal
          ? String(o.normal)
              .split(',')
              .map((s: string) => s.trim())
          : undefined,
        maxTrain: o.maxTrain === undefined ? undefined : parseCount(o.maxTrain, '--max-train', 2),
        threads: parseThreads(o.threads),
        perClass: Boolean(o.perClass),
        test: o.test as string | undefined,
        seed: parseCount(o.seed, '--seed', 0),
        out: o.out as string,
      };
      checkTrainChoices(options);
      const { parseDataSpec } = await import('../data/data-spec.ts');
      parseDataSpec(options.data); // a wrong spec stops here, before the runtime loads
      if (options.test !== undefined) parseDataSpec(options.test);
      checkOutputFolder(options.out, 'run');
      const { backend, progress } = await startRuntime(program);
      const { trainRun } = await import('../run/train-run.ts');
      const { config } = await trainRun({ ...options, backend, progress });
      console.log(`run written to ${o.out}`);
      for (const m of config.models) {
        const which =
          m.className === null
            ? `${config.nSamples} samples (${m.nFit} fitted)`
            : `class ${m.className} (${m.nFit} samples)`;
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
