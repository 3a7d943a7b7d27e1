/**
 * The model-free baseline: Sobel gradient magnitude of the image, √(g_x² + g_y²) per channel,
 * summed over channels. Borders are padded by repeating the edge pixels, so that the frame of the
 * image is not an edge.
 */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from '../explain/network.ts';
import { UserError } from '../errors.ts';

const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1];

/** Images [N, H, W, C] → per-pixel Sobel magnitude [N, H, W]. */
export function sobelMagnitude(images: Tensor): Tensor {
  if (images.rank !== 4) {
    throw new UserError(
      `edge detection needs images [N, height, width, channels], got shape [${images.shape}]; it has no meaning for vector data`,
    );
  }
  const channels = images.shape[3] as number;
  return tf.tidy(() => {
    // one depthwise filter per channel and direction: [3, 3, C, 2]
    const kernel = tf.tile(tf.reshape(tf.stack([tf.tensor1d(SOBEL_X), tf.tensor1d(SOBEL_Y)], 1), [3, 3, 1, 2]), [
      1,
      1,
      channels,
      1,
    ]);
    // 'symmetric' mirror padding of width 1 repeats the border pixel
    const padded = tf.mirrorPad(
      images as tf.Tensor4D,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      'symmetric',
    );
    const g = tf.depthwiseConv2d(padded, kernel as tf.Tensor4D, 1, 'valid'); // [N, H, W, 2C], channel-major pairs
    const [n, h, w] = images.shape as [number, number, number, number];
    const pairs = tf.reshape(g, [n, h, w, channels, 2]);
    return tf.sum(tf.sqrt(tf.sum(tf.square(pairs), 4)), 3);
  });
}
