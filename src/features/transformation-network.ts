/**
 * A self-supervised feature network (after Golan & El-Yaniv 2018, "Deep anomaly detection using
 * geometric transformations"): the CNN is trained, without labels, to tell which of a few
 * geometric transformations — the flips and quarter turns of the image — was applied to a sample.
 * To answer it must learn the shape and orientation of what is normal, which is what an anomaly
 * breaks; its last hidden layer ('features') on the untransformed image is the feature space.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { isImageSet, sampleSize, type Dataset } from '../data/dataset.ts';
import { buildFeatureNetwork } from './feature-network.ts';
import { fitLoop, type TrainHistory, type TrainOptions } from './fit-loop.ts';

/** Epochs by default (bench/detection.ts). */
export const DEFAULT_TRANSFORMATION_EPOCHS = 4;

/**
 * The transformations of an image of `height` × `width`: for a square image the eight symmetries
 * of the square (four quarter turns, each with and without a mirror), else the four that keep the
 * shape (identity, half turn, the two mirrors). Each as a pixel map: output pixel p takes input pixel map[p].
 */
export function geometricTransforms(height: number, width: number): Int32Array[] {
  const at = (r: number, c: number) => r * width + c;
  const make = (source: (r: number, c: number) => number) => {
    const map = new Int32Array(height * width);
    for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) map[at(r, c)] = source(r, c);
    return map;
  };
  const h = height - 1;
  const w = width - 1;
  const identity = make((r, c) => at(r, c));
  const halfTurn = make((r, c) => at(h - r, w - c));
  const mirror = make((r, c) => at(r, w - c));
  const upsideDown = make((r, c) => at(h - r, c));
  if (height !== width) return [identity, halfTurn, mirror, upsideDown];
  const quarter = make((r, c) => at(w - c, r)); // a quarter turn (square: h = w)
  const threeQuarters = make((r, c) => at(c, h - r));
  const transpose = make((r, c) => at(c, r));
  const antiTranspose = make((r, c) => at(w - c, h - r));
  return [identity, quarter, halfTurn, threeQuarters, mirror, upsideDown, transpose, antiTranspose];
}

/** Apply a pixel map to one image of `channels` values per pixel, into `out`. */
function transformInto(image: Float32Array, map: Int32Array, channels: number, out: Float32Array): void {
  for (let p = 0; p < map.length; p++) {
    for (let k = 0; k < channels; k++) out[p * channels + k] = image[map[p] * channels + k];
  }
}

/** The CNN that predicts the transformation: one output per transformation of `sampleShape`. */
export function buildTransformationNetwork(sampleShape: number[], seed = 0): tf.LayersModel {
  if (!isImageSet({ sampleShape })) {
    throw new UserError(
      `the transformation network needs images (height × width × channels), got samples of shape [${sampleShape.join(', ')}]; use --features ae or mlp for vectors`,
    );
  }
  const [height, width] = sampleShape;
  return buildFeatureNetwork('cnn', sampleShape, geometricTransforms(height, width).length, { seed });
}

/**
 * Train `model` on every transformation of every sample of `ds` (labels unused): sample i under
 * transformation t is training example t·n + i, labelled t.
 */
export async function trainTransformationNetwork(
  model: tf.LayersModel,
  ds: Dataset,
  options: TrainOptions = {},
): Promise<TrainHistory> {
  if (!isImageSet(ds)) {
    throw new UserError(
      `${ds.source}: the transformation network needs images, got samples of shape [${ds.sampleShape.join(', ')}]`,
    );
  }
  const [height, width, channels] = ds.sampleShape;
  const transforms = geometricTransforms(height, width);
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const outputs = model.outputs[0].shape[1];
  if (!tf.util.arraysEqual(inputShape, ds.sampleShape) || outputs !== transforms.length) {
    throw new UserError(
      `${ds.source}: the network takes [${inputShape.join(', ')}] with ${outputs} outputs, but these samples need [${ds.sampleShape.join(', ')}] with ${transforms.length}`,
    );
  }
  const size = sampleSize(ds);
  return fitLoop(
    model,
    ds.n * transforms.length,
    {
      batch: (examples) => {
        const x = new Float32Array(examples.length * size);
        const y = new Int32Array(examples.length);
        examples.forEach((m, k) => {
          const i = m % ds.n;
          y[k] = (m - i) / ds.n;
          transformInto(
            ds.x.subarray(i * size, (i + 1) * size),
            transforms[y[k]],
            channels,
            x.subarray(k * size, (k + 1) * size),
          );
        });
        return { x: tf.tensor(x, [examples.length, ...inputShape]), y: tf.tensor1d(y, 'int32') };
      },
      loss: (logits, y) => tf.losses.softmaxCrossEntropy(tf.oneHot(y, transforms.length), logits) as tf.Scalar,
      correct: (logits, y) => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'int32')),
    },
    options,
    DEFAULT_TRANSFORMATION_EPOCHS,
  );
}
