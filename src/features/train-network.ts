/**
 * Train a feature network as a classifier on labelled data: Adam on softmax cross-entropy from the
 * logits, mini-batches in a seeded order, a progress bar on stderr; then held-out accuracy.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { trainTestSplit } from '../data/split.ts';
import { buildFeatureNetwork, type NetworkKind } from './feature-network.ts';
import { fitLoop, type TrainHistory, type TrainOptions } from './fit-loop.ts';

export { DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, type TrainHistory, type TrainOptions } from './fit-loop.ts';

import { DEFAULT_EPOCHS, DEFAULT_HELD_OUT_FRACTION } from './training-defaults.ts';

export { DEFAULT_EPOCHS, DEFAULT_HELD_OUT_FRACTION };

/** Check that `ds` can train a classifier: labels, at least two classes present. */
export function checkTrainable(ds: Dataset): Int32Array {
  if (!ds.labels) {
    throw new UserError(
      `${ds.source} has no labels: a feature network is trained as a classifier and needs labelled data (mnist, png:DIR with one sub-folder per class, or csv:FILE with a label column)`,
    );
  }
  const present = new Set(ds.labels);
  if (present.size < 2) {
    const only = ds.classNames[ds.labels[0]] ?? String(ds.labels[0]);
    throw new UserError(
      `${ds.source} has only one class ('${only}'): a classifier needs at least two classes to learn features`,
    );
  }
  return ds.labels;
}

function modelShape(model: tf.LayersModel): { inputShape: number[]; classes: number } {
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  return { inputShape, classes };
}

function checkFits(model: tf.LayersModel, ds: Dataset): void {
  const { inputShape, classes } = modelShape(model);
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (sampleSize(ds) !== size) {
    throw new UserError(
      `${ds.source}: samples of shape [${ds.sampleShape.join(', ')}] do not fit the network input [${inputShape.join(', ')}]`,
    );
  }
  if (ds.classNames.length > classes) {
    throw new UserError(`${ds.source} has ${ds.classNames.length} classes but the network only ${classes} outputs`);
  }
}

/** The rows `indices` of `ds`, copied into one array. */
export function rowsOf(ds: Dataset, indices: readonly number[]): Float32Array {
  const size = sampleSize(ds);
  const x = new Float32Array(indices.length * size);
  indices.forEach((i, k) => x.set(ds.x.subarray(i * size, (i + 1) * size), k * size));
  return x;
}

/** Train `model` (logits output) on the labelled `train` set in place; returns the per-epoch history. */
export async function trainNetwork(
  model: tf.LayersModel,
  train: Dataset,
  options: TrainOptions = {},
): Promise<TrainHistory> {
  const labels = checkTrainable(train);
  checkFits(model, train);
  const { inputShape, classes } = modelShape(model);
  return fitLoop(
    model,
    train.n,
    {
      batch: (indices) => ({
        x: tf.tensor(rowsOf(train, indices), [indices.length, ...inputShape]),
        y: tf.tensor1d(
          Int32Array.from(indices, (i) => labels[i]),
          'int32',
        ),
      }),
      loss: (logits, y) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as tf.Scalar,
      correct: (logits, y) => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'int32')),
    },
    options,
    DEFAULT_EPOCHS,
  );
}

/** Fraction of the labelled samples of `ds` whose arg-max logit is their label. */
export function accuracy(model: tf.LayersModel, ds: Dataset, batchSize = 512): number {
  if (!ds.labels) throw new UserError(`${ds.source} has no labels, so accuracy cannot be measured`);
  checkFits(model, ds);
  const { inputShape } = modelShape(model);
  const size = sampleSize(ds);
  let correct = 0;
  for (let from = 0; from < ds.n; from += batchSize) {
    const to = Math.min(from + batchSize, ds.n);
    const predicted = tf.tidy(() => {
      const x = tf.tensor(ds.x.subarray(from * size, to * size), [to - from, ...inputShape]);
      return tf.argMax(model.predict(x, { batchSize: to - from }) as tf.Tensor, -1).dataSync();
    });
    for (let k = 0; k < to - from; k++) if (predicted[k] === ds.labels[from + k]) correct++;
  }
  return correct / ds.n;
}

export interface FeatureNetworkTraining extends TrainOptions {
  network?: NetworkKind;
  /** fraction of each class held out to measure accuracy (default 0.1) */
  heldOutFraction?: number;
}

export interface TrainedFeatureNetwork {
  model: tf.LayersModel;
  history: TrainHistory;
  heldOutAccuracy: number;
  trainSize: number;
  heldOutSize: number;
}

/**
 * Build a feature network for `ds`, train it on a stratified split and measure held-out accuracy.
 * The seed drives the weights, the split and the batch order. The model remembers the class names,
 * sample shape and data source in its user-defined metadata (saved with it).
 */
export async function trainFeatureNetwork(
  ds: Dataset,
  options: FeatureNetworkTraining = {},
): Promise<TrainedFeatureNetwork> {
  checkTrainable(ds);
  const seed = options.seed ?? 0;
  const { train, test } = trainTestSplit(ds, options.heldOutFraction ?? DEFAULT_HELD_OUT_FRACTION, seed);
  if (test.n === 0)
    throw new UserError(
      `${ds.source}: the held-out part is empty (${ds.n} samples); use more data or a larger held-out fraction`,
    );
  checkTrainable(train);
  const model = buildFeatureNetwork(options.network ?? 'cnn', ds.sampleShape, ds.classNames.length, { seed });
  try {
    const history = await trainNetwork(model, train, options);
    const heldOutAccuracy = accuracy(model, test);
    model.setUserDefinedMetadata({
      classNames: ds.classNames,
      sampleShape: ds.sampleShape,
      source: ds.source,
      heldOutAccuracy,
    });
    return { model, history, heldOutAccuracy, trainSize: train.n, heldOutSize: test.n };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
