/**
 * Train a feature network as a classifier on labelled data: Adam on softmax cross-entropy from the
 * logits, mini-batches in a seeded order, a progress bar on stderr; then held-out accuracy.
 */
import { SingleBar } from 'cli-progress';
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { shuffleIndices, trainTestSplit } from '../data/split.ts';
import { buildFeatureNetwork, type NetworkKind } from './feature-network.ts';

import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_EPOCHS,
  DEFAULT_HELD_OUT_FRACTION,
  DEFAULT_LEARNING_RATE,
} from './training-defaults.ts';

export { DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_HELD_OUT_FRACTION, DEFAULT_LEARNING_RATE };

export interface TrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** seed of the mini-batch order (default 0) */
  seed?: number;
  /** show a cli-progress bar on stderr (default true) */
  progress?: boolean;
  /** called after every epoch (0-based) with the history so far, e.g. to measure held-out accuracy */
  onEpochEnd?: (epoch: number, history: TrainHistory, model: tf.LayersModel) => void;
}

export interface TrainHistory {
  /** mean training loss of each epoch (softmax cross-entropy, averaged over its mini-batches) */
  loss: number[];
  /** training accuracy of each epoch, measured on the mini-batches as they were trained */
  accuracy: number[];
  secondsPerEpoch: number[];
}

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

/** Rows `indices[from…to)` of `ds` as a batch tensor and its label vector. */
function batchOf(ds: Dataset, labels: Int32Array, indices: number[], from: number, to: number, inputShape: number[]) {
  const size = sampleSize(ds);
  const x = new Float32Array((to - from) * size);
  const y = new Int32Array(to - from);
  for (let k = from; k < to; k++) {
    const i = indices[k];
    x.set(ds.x.subarray(i * size, (i + 1) * size), (k - from) * size);
    y[k - from] = labels[i];
  }
  return { x: tf.tensor(x, [to - from, ...inputShape]), y: tf.tensor1d(y, 'int32') };
}

function progressBar(enabled: boolean, total: number): SingleBar | null {
  if (!enabled) return null;
  const bar = new SingleBar({
    format: 'training [{bar}] epoch {epoch} | loss {loss} | acc {acc} | {value}/{total} batches | eta {eta}s',
    stream: process.stderr,
    hideCursor: false,
  });
  bar.start(total, 0, { epoch: 1, loss: '-', acc: '-' });
  return bar;
}

/** Train `model` (logits output) on the labelled `train` set in place; returns the per-epoch history. */
export async function trainNetwork(
  model: tf.LayersModel,
  train: Dataset,
  options: TrainOptions = {},
): Promise<TrainHistory> {
  const labels = checkTrainable(train);
  checkFits(model, train);
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new UserError(`epochs must be a positive whole number, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UserError(`batch size must be a positive whole number, got ${batchSize}`);
  const seed = options.seed ?? 0;
  const { inputShape, classes } = modelShape(model);
  const optimizer = tf.train.adam(options.learningRate ?? DEFAULT_LEARNING_RATE);
  const batchesPerEpoch = Math.ceil(train.n / batchSize);
  const bar = progressBar(options.progress ?? true, epochs * batchesPerEpoch);
  const history: TrainHistory = { loss: [], accuracy: [], secondsPerEpoch: [] };
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const started = performance.now();
      // a different, reproducible order every epoch
      const order = shuffleIndices(train.n, (seed * 1_000_003 + epoch) >>> 0);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        const from = b * batchSize;
        const to = Math.min(from + batchSize, train.n);
        const [batchLoss, batchCorrect] = tf.tidy(() => {
          const { x, y } = batchOf(train, labels, order, from, to, inputShape);
          let hits: tf.Tensor | null = null;
          const loss = optimizer.minimize(() => {
            const logits = model.apply(x, { training: true }) as tf.Tensor;
            hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'int32')));
            return tf.losses.softmaxCrossEntropy(tf.oneHot(y, classes), logits) as tf.Scalar;
          }, true) as tf.Scalar;
          // kept tensors outlive every tidy scope: read and free it here
          const kept = hits as unknown as tf.Tensor;
          const count = kept.dataSync()[0];
          kept.dispose();
          return [loss.dataSync()[0], count];
        });
        lossSum += batchLoss * (to - from);
        correct += batchCorrect;
        bar?.update(epoch * batchesPerEpoch + b + 1, {
          epoch: epoch + 1,
          loss: (lossSum / to).toFixed(4),
          acc: (correct / to).toFixed(4),
        });
        await new Promise((resolve) => setImmediate(resolve)); // let the bar redraw
      }
      history.loss.push(lossSum / train.n);
      history.accuracy.push(correct / train.n);
      history.secondsPerEpoch.push((performance.now() - started) / 1000);
      options.onEpochEnd?.(epoch, history, model);
    }
  } finally {
    bar?.stop();
    optimizer.dispose();
  }
  return history;
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
