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
    .option('--features <kind>', 'pixels, cnn, mlp or model:PATH (an .onnx file or a tfjs layers model)', 'cnn')
    .option(
      '--layer <name>',
      'layer of the network whose activations are the features (default: the last hidden ReLU layer)',
    )
    .option('--epochs <n>', 'training epochs of the feature network (cnn, mlp)')
    .option('--kernel <name>', 'gaussian or laplacian', 'gaussian')
    .option('--nu <value>', 'ν in (0, 1]: upper bound on the fraction of training outliers', '0.1')
    .option('--gamma <value>', "kernel width: a positive number, 'scale' (1/(d·Var X)) or 'auto' (1/d)", 'scale')
    .option(
      '--normal <classes>',
      'comma-separated classes that are normal: the SVM is fitted on them, the rest count as anomalies',
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
        featureLayer: o.layer as string | undefined,
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
        seed: parseCount(o.seed, '--seed', 0),
        out: o.out as string,
      };
      checkTrainChoices(options);
      (await import('../data/data-spec.ts')).parseDataSpec(options.data); // a wrong spec stops here, before the runtime loads
      checkOutputFolder(options.out, 'run');
      const { backend, progress } = await startRuntime(program);
      const { trainRun } = await import('../run/train-run.ts');
      const { config } = await trainRun({ ...options, backend, progress });
      const svm = config.svm;
      console.log(`run written to ${o.out}`);
      console.log(
        `${config.nSamples} samples (${svm.nFit} fitted), ${svm.nSupport} support vectors, ρ = ${svm.rho.toPrecision(6)}, γ = ${svm.gamma.toPrecision(6)}, fit in ${svm.fitSeconds.toFixed(2)} s`,
      );
      console.log(`${config.nOutliers} samples have a negative decision value (outliers)`);
      if (config.rocAuc !== null)
        console.log(`ROC AUC (normal: ${config.normal!.join(',')}): ${config.rocAuc.toFixed(4)}`);
    });
}
