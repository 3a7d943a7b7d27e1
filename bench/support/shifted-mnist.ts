/**
 * More MNIST-like digits than the `mnist` package's 10,000: sample r < 10,000 is digit r of the
 * round-robin order (test/support/mnist-pixels.ts); sample r ≥ 10,000 is digit r mod 10,000 rotated
 * by up to ±15° and shifted by up to ±2 pixels (bilinear resampling about the image centre), with
 * angle and shift drawn from a generator seeded by r. Any prefix of n samples is therefore the same
 * set wherever it is made, and stays class-balanced.
 */
import { mulberry32 } from '../../src/data/random.ts';
import { MNIST_DIM, loadMnistPixels } from '../../test/support/mnist-pixels.ts';

const SIDE = 28;
const MAX_ANGLE = (15 * Math.PI) / 180;
const MAX_SHIFT = 2;
export const ORIGINALS = 10_000;

export function shiftedMnist(n: number): { data: Float32Array; n: number; d: number; labels: Int32Array } {
  const originals = loadMnistPixels(Math.min(n, ORIGINALS));
  if (n <= ORIGINALS) return originals;
  const data = new Float32Array(n * MNIST_DIM);
  const labels = new Int32Array(n);
  data.set(originals.data);
  labels.set(originals.labels);
  for (let r = ORIGINALS; r < n; r++) {
    const source = r % ORIGINALS;
    const random = mulberry32(r);
    const angle = (2 * random() - 1) * MAX_ANGLE;
    const dx = (2 * random() - 1) * MAX_SHIFT;
    const dy = (2 * random() - 1) * MAX_SHIFT;
    transform(
      originals.data.subarray(source * MNIST_DIM, (source + 1) * MNIST_DIM),
      angle,
      dx,
      dy,
      data,
      r * MNIST_DIM,
    );
    labels[r] = originals.labels[source];
  }
  return { data, n, d: MNIST_DIM, labels };
}

/** out = the image rotated by `angle` about its centre, then moved by (dx, dy); bilinear, 0 outside. */
function transform(image: Float32Array, angle: number, dx: number, dy: number, out: Float32Array, at: number): void {
  const c = (SIDE - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const pixel = (y: number, x: number) => (y >= 0 && y < SIDE && x >= 0 && x < SIDE ? image[y * SIDE + x] : 0);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      // where output pixel (y, x) comes from: undo the shift, then the rotation
      const u = x - dx - c;
      const v = y - dy - c;
      const sx = cos * u + sin * v + c;
      const sy = -sin * u + cos * v + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const value =
        (1 - fy) * ((1 - fx) * pixel(y0, x0) + fx * pixel(y0, x0 + 1)) +
        fy * ((1 - fx) * pixel(y0 + 1, x0) + fx * pixel(y0 + 1, x0 + 1));
      out[at + y * SIDE + x] = Math.min(1, Math.max(0, value));
    }
  }
}
