/**
 * A feature network as a run uses it: it must take the data's samples, and every later command
 * must be able to explain it — checked when the run is trained (so that `train` refuses what
 * `explain` would refuse) and again when the run is opened (a run whose files were swapped says so).
 */
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import type { tf } from '../runtime/runtime.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';

/** The model's input shape per sample (fixed dimensions only). */
export function modelInputShape(model: tf.LayersModel, label: string): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (model.inputs.length !== 1 || shape.some((d) => d === null))
    throw new UserError(
      `${label}: a feature network needs one input of a fixed shape (it has ${model.inputs.length} input(s), shape [${shape.join(', ')}])`,
    );
  return shape as number[];
}

/**
 * `ds` as the model takes it: the sizes must agree, and vectors (CSV rows) become images of the
 * model's input shape when that is an image ([H, W, C], or [H, W] with one channel).
 */
export function datasetForModel(ds: Dataset, model: tf.LayersModel, label: string): Dataset {
  return datasetForShape(ds, modelInputShape(model, label), label);
}

/** `ds` as a network with per-sample input shape `inputShape` takes it (see datasetForModel). */
export function datasetForShape(ds: Dataset, inputShape: readonly number[], label: string): Dataset {
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (size !== sampleSize(ds))
    throw new UserError(
      `${label} takes inputs of shape [${inputShape.join(', ')}] (${size} values), but ${ds.source} has samples of shape [${ds.sampleShape.join(', ')}] (${sampleSize(ds)} values)`,
    );
  if (ds.sampleShape.length === 3 || inputShape.length < 2 || inputShape.length > 3) return ds;
  return { ...ds, sampleShape: inputShape.length === 3 ? [...inputShape] : [...inputShape, 1] };
}

/** The model can be explained from its input up to each of `layers` (its taps) and to its output; else a UserError naming why. */
export function assertExplainable(model: tf.LayersModel, layers: readonly string[], label: string): void {
  let network;
  try {
    network = fromLayersModel(model);
  } catch (e) {
    if (e instanceof UserError)
      throw new UserError(`${label} cannot be explained later, so it cannot give the features: ${e.message}`);
    throw e;
  }
  try {
    for (const layer of layers) {
      try {
        network.upTo(layer);
      } catch {
        throw new UserError(
          `${label}: layer '${layer}' is folded into the layer before it for explanations (batch normalisation?); choose another --layer (its layers: ${model.layers.map((l) => l.name).join(', ')})`,
        );
      }
    }
  } finally {
    network.dispose();
  }
}
