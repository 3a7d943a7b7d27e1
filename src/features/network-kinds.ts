/** Every feature network oc-explain trains (./kinds.ts names them), with one way to train it. */
import type { tf } from '../runtime/runtime.ts';
import type { Dataset } from '../data/dataset.ts';
import { usesLabels, type FeatureNetworkKind } from './kinds.ts';
import { buildAutoencoder, trainAutoencoder } from './autoencoder.ts';
import type { TrainOptions } from './fit-loop.ts';
import { trainFeatureNetwork } from './train-network.ts';
import { buildTransformationNetwork, trainTransformationNetwork } from './transformation-network.ts';

export {
  FEATURE_NETWORK_KINDS,
  isFeatureNetworkKind,
  parseFeatureNetworkKind,
  usesLabels,
  type FeatureNetworkKind,
} from './kinds.ts';

export interface TrainedNetwork {
  model: tf.LayersModel;
  kind: FeatureNetworkKind;
  epochs: number;
  /** held-out accuracy of a classifier (cnn, mlp), else null */
  heldOutAccuracy: number | null;
  /** mean training loss of the last epoch */
  finalLoss: number;
  trainSeconds: number;
}

/** Train a network of `kind` on `ds` (the classifiers hold out 10 % of each class to measure accuracy). */
export async function trainNetworkOfKind(
  kind: FeatureNetworkKind,
  ds: Dataset,
  options: TrainOptions = {},
): Promise<TrainedNetwork> {
  const start = performance.now();
  const seed = options.seed ?? 0;
  const done = (model: tf.LayersModel, loss: number[], heldOutAccuracy: number | null): TrainedNetwork => ({
    model,
    kind,
    epochs: loss.length,
    heldOutAccuracy,
    finalLoss: loss[loss.length - 1],
    trainSeconds: (performance.now() - start) / 1000,
  });
  if (usesLabels(kind)) {
    const trained = await trainFeatureNetwork(ds, { ...options, network: kind as 'cnn' | 'mlp' });
    return done(trained.model, trained.history.loss, trained.heldOutAccuracy);
  }
  const model =
    kind === 'ae' ? buildAutoencoder(ds.sampleShape, { seed }) : buildTransformationNetwork(ds.sampleShape, seed);
  try {
    const history =
      kind === 'ae' ? await trainAutoencoder(model, ds, options) : await trainTransformationNetwork(model, ds, options);
    return done(model, history.loss, null);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
