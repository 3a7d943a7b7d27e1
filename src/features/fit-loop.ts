/**
 * The training loop every feature network shares: Adam on a loss over mini-batches in a seeded
 * order, a progress bar on stderr, a history per epoch. What a batch holds and what the loss is
 * belong to the caller (a classifier's labels, an autoencoder's own inputs, a transformed copy).
 */
import { SingleBar } from 'cli-progress';
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { shuffleIndices } from '../data/split.ts';
import { DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE } from './training-defaults.ts';

export { DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE };

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
  /** mean training loss of each epoch (averaged over its samples) */
  loss: number[];
  /** training accuracy of each epoch, measured on the mini-batches as they were trained (classifiers only) */
  accuracy: number[];
  secondsPerEpoch: number[];
}

/** One mini-batch: the network input and what the loss compares the output with. */
export interface Batch {
  x: tf.Tensor;
  y: tf.Tensor;
}

export interface Objective {
  /** the rows `indices` of the training set as a batch (created inside the loop's tidy scope) */
  batch(indices: number[]): Batch;
  /** mean loss of the batch */
  loss(output: tf.Tensor, y: tf.Tensor): tf.Scalar;
  /** how many of the batch's predictions are right, for classifiers */
  correct?(output: tf.Tensor, y: tf.Tensor): tf.Scalar;
}

function progressBar(enabled: boolean, total: number, accuracy: boolean): SingleBar | null {
  if (!enabled) return null;
  const bar = new SingleBar({
    format: `training [{bar}] epoch {epoch} | loss {loss}${accuracy ? ' | acc {acc}' : ''} | {value}/{total} batches | eta {eta}s`,
    stream: process.stderr,
    hideCursor: false,
  });
  bar.start(total, 0, { epoch: 1, loss: '-', acc: '-' });
  return bar;
}

export function checkTrainOptions(
  options: TrainOptions,
  epochsByDefault: number,
): { epochs: number; batchSize: number } {
  const epochs = options.epochs ?? epochsByDefault;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new UserError(`epochs must be a positive whole number, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UserError(`batch size must be a positive whole number, got ${batchSize}`);
  return { epochs, batchSize };
}

/** Train `model` in place on `n` samples served by `objective`; returns the per-epoch history. */
export async function fitLoop(
  model: tf.LayersModel,
  n: number,
  objective: Objective,
  options: TrainOptions,
  epochsByDefault: number,
): Promise<TrainHistory> {
  const { epochs, batchSize } = checkTrainOptions(options, epochsByDefault);
  const seed = options.seed ?? 0;
  const optimizer = tf.train.adam(options.learningRate ?? DEFAULT_LEARNING_RATE);
  const batchesPerEpoch = Math.ceil(n / batchSize);
  const counts = objective.correct !== undefined;
  const bar = progressBar(options.progress ?? true, epochs * batchesPerEpoch, counts);
  const history: TrainHistory = { loss: [], accuracy: [], secondsPerEpoch: [] };
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const started = performance.now();
      // a different, reproducible order every epoch
      const order = shuffleIndices(n, (seed * 1_000_003 + epoch) >>> 0);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batchesPerEpoch; b++) {
        const from = b * batchSize;
        const to = Math.min(from + batchSize, n);
        const [batchLoss, batchCorrect] = tf.tidy(() => {
          const { x, y } = objective.batch(order.slice(from, to));
          let hits: tf.Tensor | null = null;
          const loss = optimizer.minimize(() => {
            const output = model.apply(x, { training: true }) as tf.Tensor;
            if (objective.correct) hits = tf.keep(objective.correct(output, y));
            return objective.loss(output, y);
          }, true) as tf.Scalar;
          // kept tensors outlive every tidy scope: read and free it here
          const kept = hits as tf.Tensor | null;
          const count = kept ? kept.dataSync()[0] : 0;
          kept?.dispose();
          return [loss.dataSync()[0], count];
        });
        lossSum += batchLoss * (to - from);
        correct += batchCorrect;
        bar?.update(epoch * batchesPerEpoch + b + 1, {
          epoch: epoch + 1,
          loss: (lossSum / to).toPrecision(4),
          acc: (correct / to).toFixed(4),
        });
        await new Promise((resolve) => setImmediate(resolve)); // let the bar redraw
      }
      history.loss.push(lossSum / n);
      if (counts) history.accuracy.push(correct / n);
      history.secondsPerEpoch.push((performance.now() - started) / 1000);
      options.onEpochEnd?.(epoch, history, model);
    }
  } finally {
    bar?.stop();
    optimizer.dispose();
  }
  return history;
}
