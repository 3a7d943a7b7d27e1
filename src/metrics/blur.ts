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
  const radius = (w.length - 1) / 2;
  const out = new Float32Array(values.length);
  const pass = new Float64Array(size);
  for (let start = 0; start < values.length; start += size) {
    // along each row
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        for (let k = 0; k < channels; k++) {
          let sum = 0;
          let weight = 0;
          for (let o = -radius; o <= radius; o++) {
            const cc = c + o;
            if (cc < 0 || cc >= width) continue;
            sum += w[o + radius] * values[start + (r * width + cc) * channels + k];
            weight += w[o + radius];
          }
          pass[(r * width + c) * channels + k] = sum / weight;
        }
      }
    }
    // along each column
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        for (let k = 0; k < channels; k++) {
          let sum = 0;
          let weight = 0;
          for (let o = -radius; o <= radius; o++) {
            const rr = r + o;
            if (rr < 0 || rr >= height) continue;
            sum += w[o + radius] * pass[(rr * width + c) * channels + k];
            weight += w[o + radius];
          }
          out[start + (r * width + c) * channels + k] = sum / weight;
        }
      }
    }
  }
  return out;
}
