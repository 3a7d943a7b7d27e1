import type { Command } from 'commander';
import { initRuntime } from '../runtime/runtime.ts';
import { trainRun } from '../run/train-run.ts';
import { parseGammaOption, parseNu, parseCount } from './options.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the features, fit the one-class SVM on them and score every sample')
    .requiredOption('--data <spec>', 'mnist, mnist:0,6, png:DIR or csv:FILE[,label=last]')
    .option('--features <kind>', 'pixels, cnn, mlp or model:PATH (an .onnx file or a tfjs layers model)', 'cnn')
    .option(
      '--layer <name>',
      'layer of the network whose activations are the features (default: the last hidden ReLU layer)',
    )
    .option('--epochs <n>', 'training epochs of the feature network')
    .option('--kernel <name>', 'gaussian or laplacian', 'gaussian')
    .option('--nu <value>', 'ν in (0, 1]: upper bound on the fraction of training outliers', '0.1')
    .option('--gamma <value>', "kernel width: a positive number, 'scale' (1/(d·Var X)) or 'auto' (1/d)", 'scale')
    .option(
      '--normal <classes>',
      'comma-separated classes that are normal: the SVM is fitted on them, the rest count as anomalies',
    )
    .option('--seed <n>', 'seed of every random choice', '0')
    .requiredOption('--out <dir>', 'run folder to write')
    .action(async (o) => {
      const backend = await initRuntime({ backend: program.opts().backend });
      const { config } = await trainRun({
        data: o.data,
        features: o.features,
        featureLayer: o.layer,
        epochs: o.epochs === undefined ? undefined : parseCount(o.epochs, '--epochs'),
        kernel: o.kernel,
        nu: parseNu(o.nu),
        gamma: parseGammaOption(o.gamma),
        normal: o.normal
          ? String(o.normal)
              .split(',')
              .map((s: string) => s.trim())
          : undefined,
        seed: parseCount(o.seed, '--seed', 0),
        out: o.out,
        backend,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const svm = config.svm;
      console.log(`run written to ${o.out}`);
      console.log(
        `${config.nSamples} samples, ${svm.nSupport} support vectors, ρ = ${svm.rho.toPrecision(6)}, γ = ${svm.gamma.toPrecision(6)}, fit in ${svm.fitSeconds.toFixed(2)} s`,
      );
      console.log(`${config.nOutliers} samples have a negative decision value (outliers)`);
      if (config.rocAuc !== null)
        console.log(`ROC AUC (normal: ${config.normal!.join(',')}): ${config.rocAuc.toFixed(4)}`);
    });
}
