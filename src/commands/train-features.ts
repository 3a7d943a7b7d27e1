import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { checkOutputFolder } from '../io/output-folder.ts';
import { DEFAULT_EPOCHS, DEFAULT_HELD_OUT_FRACTION } from '../features/training-defaults.ts';
import { parseCount, parseNumber } from './options.ts';
import { startRuntime } from './runtime-start.ts';

function parseHeldOut(value: string): number {
  const fraction = parseNumber(value, '--held-out');
  if (!(fraction > 0 && fraction < 1)) throw new UserError(`--held-out must be a fraction in (0, 1) (got ${value})`);
  return fraction;
}

export function register(program: Command): void {
  program
    .command('train-features')
    .description('train the feature network (a classifier) on labelled data and save it as a tfjs layers model')
    .requiredOption(
      '--data <spec>',
      'labelled data: mnist, mnist:0,6, png:DIR (one sub-folder per class) or csv:FILE,label=last[,shape=HxW[xC]]',
    )
    .option('--network <kind>', 'cnn or mlp', 'cnn')
    .option('--epochs <n>', 'training epochs', String(DEFAULT_EPOCHS))
    .option(
      '--held-out <fraction>',
      'fraction of each class kept aside to measure accuracy',
      String(DEFAULT_HELD_OUT_FRACTION),
    )
    .option('--seed <n>', 'seed of the weights, the split and the batch order', '0')
    .requiredOption(
      '--out <dir>',
      'folder to write model.json and weights.bin into (a new or empty folder, or an earlier train-features output)',
    )
    .action(async (o) => {
      const options = {
        epochs: parseCount(o.epochs, '--epochs'),
        heldOutFraction: parseHeldOut(o.heldOut),
        seed: parseCount(o.seed, '--seed', 0),
      };
      if (/\.json$/i.test(o.out))
        throw new UserError(
          `--out ${o.out}: give the folder for model.json and weights.bin, not a file name (it is written as a folder of its own)`,
        );
      checkOutputFolder(o.out, 'feature-network');
      (await import('../data/data-spec.ts')).parseDataSpec(o.data); // a wrong spec stops here, before the runtime loads
      const { progress } = await startRuntime(program);
      const { parseNetworkKind } = await import('../features/feature-network.ts');
      const { trainFeaturesToFolder } = await import('../run/train-features-run.ts');
      const network = parseNetworkKind(o.network, '--network');
      const trained = await trainFeaturesToFolder({ ...options, network, data: o.data, out: o.out, progress });
      const { history } = trained;
      history.loss.forEach((loss, e) => {
        process.stderr.write(
          `epoch ${e + 1}: loss ${loss.toFixed(4)}, training accuracy ${(100 * history.accuracy[e]).toFixed(2)} %, ${history.secondsPerEpoch[e].toFixed(1)} s\n`,
        );
      });
      console.log(
        `held-out accuracy: ${(100 * trained.heldOutAccuracy).toFixed(2)} % (${trained.heldOutSize} of ${trained.n} samples held out)`,
      );
      console.log(`model written to ${trained.files.modelJsonPath} (+ ${trained.files.weightsPath})`);
    });
}
