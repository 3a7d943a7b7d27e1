import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { initRuntime } from '../runtime/runtime.ts';
import { loadDataset } from '../data/data-spec.ts';
import { parseNetworkKind } from '../features/feature-network.ts';
import { saveModel } from '../features/model-io.ts';
import { DEFAULT_EPOCHS, DEFAULT_HELD_OUT_FRACTION, trainFeatureNetwork } from '../features/train-network.ts';
import { parseCount, parseNumber } from './options.ts';

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
      'labelled data: mnist, mnist:0,6, png:DIR (one sub-folder per class) or csv:FILE,label=last',
    )
    .option('--network <kind>', 'cnn or mlp', 'cnn')
    .option('--epochs <n>', 'training epochs', String(DEFAULT_EPOCHS))
    .option(
      '--held-out <fraction>',
      'fraction of each class kept aside to measure accuracy',
      String(DEFAULT_HELD_OUT_FRACTION),
    )
    .option('--seed <n>', 'seed of the weights, the split and the batch order', '0')
    .requiredOption('--out <dir>', 'folder to write model.json and weights.bin into')
    .action(async (o) => {
      await initRuntime({ backend: program.opts().backend });
      const network = parseNetworkKind(o.network, '--network');
      const options = {
        network,
        epochs: parseCount(o.epochs, '--epochs'),
        heldOutFraction: parseHeldOut(o.heldOut),
        seed: parseCount(o.seed, '--seed', 0),
      };
      const ds = loadDataset(o.data);
      const trained = await trainFeatureNetwork(ds, options);
      try {
        const { history } = trained;
        history.loss.forEach((loss, e) => {
          process.stderr.write(
            `epoch ${e + 1}: loss ${loss.toFixed(4)}, training accuracy ${(100 * history.accuracy[e]).toFixed(2)} %, ${history.secondsPerEpoch[e].toFixed(1)} s\n`,
          );
        });
        const saved = await saveModel(trained.model, o.out);
        console.log(
          `held-out accuracy: ${(100 * trained.heldOutAccuracy).toFixed(2)} % (${trained.heldOutSize} of ${ds.n} samples held out)`,
        );
        console.log(`model written to ${saved.modelJsonPath} (+ ${saved.weightsPath})`);
      } finally {
        trained.model.dispose();
      }
    });
}
