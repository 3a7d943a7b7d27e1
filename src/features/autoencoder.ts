/**
 * The autoencoder feature network: an encoder down to a small bottleneck and a decoder back to the
 * input, trained without labels to reconstruct its input (mean squared error). It learns what the
 * data usually look like and nothing that a classifier would learn to ignore, so an artefact shows
 * in its reconstruction residual x − x̂ (which it cannot reproduce) and in its bottleneck.
 *
 * Images: encoder1 (conv 32 3×3, stride 2) → encoder2 (conv 64 3×3, stride 2) → flatten →
 * bottleneck (dense, ReLU) → decoder1 (dense) → reshape → decoder2 (transposed conv 32, stride 2) →
 * reconstruction (transposed conv, stride 2, linear). A side not divisible by 4 gets fewer strides
 * (stride 1 where halving would not come back to the same size). Vectors: dense layers
 * encoder1 (256) → bottleneck → decoder1 (256) → reconstruction. Every layer is one the
 * explanation engine reads, so the encoder explains like the CNN.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { fitLoop, type TrainHistory, type TrainOptions } from './fit-loop.ts';
import { rowsOf } from './train-network.ts';

export const BOTTLENECK_LAYER = 'bottleneck';
export const RECONSTRUCTION_LAYER = 'reconstruction';
export const DEFAULT_BOTTLENECK = 32;
/** Epochs by default (bench/detection.ts: the residual's one-class AUC barely moves after this). */
export const DEFAULT_AUTOENCODER_EPOCHS = 10;
/** Smaller batches and a larger step than the classifiers': the reconstruction loss falls 2.5× further in 10 epochs. */
export const AUTOENCODER_BATCH_SIZE = 32;
export const AUTOENCODER_LEARNING_RATE = 2e-3;

export interface AutoencoderOptions {
  /** units of the bottleneck (default 32) */
  bottleneck?: number;
  /** seed of the weight initialisers (default 0) */
  seed?: number;
}

/** Strides of the two encoder convolutions for one side: halve while the side stays even. */
function stridesFor(side: number): [number, number] {
  if (side % 4 === 0) return [2, 2];
  if (side % 2 === 0) return [2, 1];
  return [1, 1];
}

export function buildAutoencoder(sampleShape: number[], options: AutoencoderOptions = {}): tf.LayersModel {
  const units = options.bottleneck ?? DEFAULT_BOTTLENECK;
  if (!Number.isInteger(units) || units < 1)
    throw new UserError(`bottleneck size must be a positive whole number, got ${units}`);
  const baseSeed = options.seed ?? 0;
  let layerIndex = 0;
  // as in feature-network.ts: seeded He-normal kernels (seeds from 1: tfjs treats 0 as none)
  const weights = () => ({
    kernelInitializer: tf.initializers.heNormal({ seed: baseSeed * 100 + ++layerIndex }),
    biasInitializer: 'zeros' as const,
  });
  const apply = (layer: tf.layers.Layer, h: tf.SymbolicTensor) => layer.apply(h) as tf.SymbolicTensor;
  const input = tf.input({ shape: sampleShape, name: 'input' });
  let h: tf.SymbolicTensor = input;
  if (sampleShape.length === 3) {
    const [height, width, channels] = sampleShape;
    const [rows1, rows2] = stridesFor(height);
    const [cols1, cols2] = stridesFor(width);
    const conv = (name: string, filters: number, strides: [number, number], transposed: boolean, relu: boolean) =>
      (transposed ? tf.layers.conv2dTranspose : tf.layers.conv2d)({
        name,
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        activation: relu ? 'relu' : 'linear',
        ...weights(),
      });
    h = apply(conv('encoder1', 32, [rows1, cols1], false, true), h);
    h = apply(conv('encoder2', 64, [rows2, cols2], false, true), h);
    const inner = h.shape.slice(1) as number[];
    h = apply(tf.layers.flatten({ name: 'flatten' }), h);
    h = apply(tf.layers.dense({ name: BOTTLENECK_LAYER, units, activation: 'linear', ...weights() }), h);
    h = apply(
      tf.layers.dense({
        name: 'decoder1',
        units: sampleSize({ sampleShape: inner }),
        activation: 'relu',
        ...weights(),
      }),
      h,
    );
    h = apply(tf.layers.reshape({ name: 'unflatten', targetShape: inner }), h);
    h = apply(conv('decoder2', 32, [rows2, cols2], true, true), h);
    h = apply(conv(RECONSTRUCTION_LAYER, channels, [rows1, cols1], true, false), h);
  } else {
    const size = sampleSize({ sampleShape });
    if (sampleShape.length > 1) h = apply(tf.layers.flatten({ name: 'flatten' }), h);
    const dense = (name: string, n: number, relu: boolean) =>
      tf.layers.dense({ name, units: n, activation: relu ? 'relu' : 'linear', ...weights() });
    h = apply(dense('encoder1', 256, true), h);
    h = apply(dense(BOTTLENECK_LAYER, units, false), h);
    h = apply(dense('decoder1', 256, true), h);
    h = apply(dense(RECONSTRUCTION_LAYER, size, false), h);
    if (sampleShape.length > 1) h = apply(tf.layers.reshape({ name: 'unflatten', targetShape: sampleShape }), h);
  }
  return tf.model({ inputs: input, outputs: h, name: 'oc-explain-ae' });
}

/** True when `model` maps a sample to one of the same shape (an autoencoder). */
export function reconstructs(model: tf.LayersModel): boolean {
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape.slice(1);
  return model.outputs.length === 1 && input.length === output.length && input.every((d, k) => d === output[k]);
}

/** Train `model` to reconstruct the samples of `ds` (labels unused); returns the per-epoch history. */
export async function trainAutoencoder(
  model: tf.LayersModel,
  ds: Dataset,
  options: TrainOptions = {},
): Promise<TrainHistory> {
  if (!reconstructs(model)) throw new UserError(`model '${model.name}' does not map its input to its own shape`);
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  if (sampleSize(ds) !== sampleSize({ sampleShape: inputShape })) {
    throw new UserError(
      `${ds.source}: samples of shape [${ds.sampleShape.join(', ')}] do not fit the autoencoder input [${inputShape.join(', ')}]`,
    );
  }
  return fitLoop(
    model,
    ds.n,
    {
      batch: (indices) => {
        const x = tf.tensor(rowsOf(ds, indices), [indices.length, ...inputShape]);
        return { x, y: x };
      },
      loss: (reconstruction, x) => tf.losses.meanSquaredError(x, reconstruction) as tf.Scalar,
    },
    { batchSize: AUTOENCODER_BATCH_SIZE, learningRate: AUTOENCODER_LEARNING_RATE, ...options },
    DEFAULT_AUTOENCODER_EPOCHS,
  );
}
