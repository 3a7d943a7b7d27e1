/**
 * A Gaussian blur of images, the pixel-flipping reference that favours no explanation method: a
 * flipped pixel takes the local average of its own image, so flipping removes fine structure (a
 * scratch, a noise patch, the edge of a blob) without pasting in another image's strokes.
 */
import { UserError } from '../errors.ts';

export const DEFAULT_BLUR_SIGMA = 2;

/** Normalised 1-D Gaussian weights for offsets −r…r, r = ⌈3σ⌉. */
function gaussianWeights(sigma: number): Float64Array {
  const radius = Math.ceil(3 * sigma);
  const w = Float64Array.from({ length: 2 * radius + 1 }, (_, k) =>
    Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)),
  );
  return w;
}

/**
 * Blur every image of `values` (N images of `sampleShape` [H, W, C], row-major) with a Gaussian of
 * standard deviation `sigma` pixels, per channel, separably (rows, then columns). At the border
 * the weights that fall outside are left out and the rest renormalised, so a flat image stays flat.
 */
export function gaussianBlur(
  values: Float32Array,
  sampleShape: readonly number[],
  sigma = DEFAULT_BLUR_SIGMA,
): Float32Array {
  if (sampleShape.length !== 3) throw new UserError(`blur: images must be [H, W, C], got [${sampleShape.join(', ')}]`);
  if (!(sigma > 0 && Number.isFinite(sigma)))
    throw new UserError(`blur: sigma must be a positive number, got ${sigma}`);
  const [height, width, channels] = sampleShape;
  const size = height * width * channels;
  if (values.length % size !== 0) throw new UserError(`blur: ${values.length} values are not whole images of ${size}`);
  const w = gaussianWeights(sigma);
  const out = new Float32Array(values.length);
  const rowsDone = new Float64Array(size);
  for (let start = 0; start < values.length; start += size) {
    blurPass(values, start, rowsDone, 0, sampleShape, 'row', w);
    blurPass(rowsDone, 0, out, start, sampleShape, 'column', w);
  }
  return out;
}

/**
 * One separable pass over the image at `from[at…]` into `to[toAt…]`: each value becomes the
 * Gaussian average of its neighbours along its row or its column, the weights inside the image
 * renormalised.
 */
function blurPass(
  from: ArrayLike<number>,
  at: number,
  to: Float32Array | Float64Array,
  toAt: number,
  [height, width, channels]: readonly number[],
  along: 'row' | 'column',
  w: Float64Array,
): void {
  const radius = (w.length - 1) / 2;
  const extent = along === 'row' ? width : height;
  const step = along === 'row' ? channels : width * channels;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const position = along === 'row' ? c : r;
      for (let k = 0; k < channels; k++) {
        const centre = (r * width + c) * channels + k;
        let sum = 0;
        let weight = 0;
        for (let o = -radius; o <= radius; o++) {
          if (position + o < 0 || position + o >= extent) continue;
          sum += w[o + radius] * from[at + centre + o * step];
          weight += w[o + radius];
        }
        to[toAt + centre] = sum / weight;
      }
    }
  }
}
