/**
 * The patched wasm kernels against the cpu backend (the pure-JS reference implementation of the
 * same kernels): same inputs on both backends, max|wasm − cpu| / max|cpu| < 1e-5.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { mulberry32 as rng } from '../src/data/random.ts';

type Backend = 'cpu' | 'wasm';
type Inputs = Record<string, { shape: number[]; values: Float32Array | Int32Array; dtype?: 'int32' }>;

function randomValues(shape: number[], seed: number, draw?: (u: number) => number): Float32Array {
  const next = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => (draw ? draw(next()) : next() * 2 - 1));
}

/** Run `f` on the given backend with fresh tensors made from `inputs`; return its values. */
async function runOn(
  backend: Backend,
  inputs: Inputs,
  f: (t: Record<string, tf.Tensor>) => tf.Tensor,
): Promise<Float32Array> {
  await initRuntime({ backend, quiet: true });
  return tf.tidy(() => {
    const tensors = Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype ?? 'float32')]),
    );
    return Float32Array.from(f(tensors).dataSync());
  });
}

async function relativeError(inputs: Inputs, f: (t: Record<string, tf.Tensor>) => tf.Tensor): Promise<number> {
  const expected = await runOn('cpu', inputs, f);
  const actual = await runOn('wasm', inputs, f);
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  expect(maxRef).toBeGreaterThan(0);
  return maxDiff / maxRef;
}

/** Calls `f` repeatedly on wasm; neither engine tensors nor backend buffers may accumulate. */
async function expectNoLeak(inputs: Inputs, f: (t: Record<string, tf.Tensor>) => tf.Tensor): Promise<void> {
  await initRuntime({ backend: 'wasm', quiet: true });
  const tensors = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype ?? 'float32')]),
  );
  tf.tidy(() => f(tensors)).dispose();
  const before = { tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() };
  for (let i = 0; i < 10; i++) tf.tidy(() => f(tensors)).dispose();
  expect({ tensors: tf.memory().numTensors, buffers: tf.engine().backend.numDataIds() }).toEqual(before);
  Object.values(tensors).forEach((t) => t.dispose());
}

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: number[];
  filter: number[];
  strides: [number, number];
  pad: Pad;
}

const convCases: ConvCase[] = [
  { x: [2, 5, 5, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { x: [3, 7, 6, 2], filter: [3, 2, 2, 5], strides: [2, 2], pad: 'valid' },
  { x: [2, 8, 9, 3], filter: [4, 4, 3, 2], strides: [2, 2], pad: 'same' },
  { x: [1, 10, 7, 4], filter: [2, 3, 4, 3], strides: [3, 2], pad: 'same' },
  { x: [2, 11, 9, 2], filter: [3, 3, 2, 3], strides: [3, 3], pad: 'valid' },
  {
    x: [2, 6, 5, 2],
    filter: [3, 3, 2, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 2], strides: [2, 2], pad: 1 },
  // pads wider than the kernel reach: dx crops instead of padding
  {
    x: [2, 5, 6, 2],
    filter: [3, 3, 2, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [3, 0],
      [0, 4],
      [0, 0],
    ],
  },
  {
    x: [2, 6, 7, 3],
    filter: [3, 3, 3, 2],
    strides: [2, 2],
    pad: [
      [0, 0],
      [4, 1],
      [0, 3],
      [0, 0],
    ],
  },
  // kernels narrower than the stride: some stride phases of dx get nothing
  { x: [2, 5, 6, 4], filter: [1, 1, 4, 3], strides: [2, 2], pad: 'valid' },
  { x: [1, 9, 9, 2], filter: [5, 5, 2, 3], strides: [2, 3], pad: 'same' },
  // ≥ 8 input channels: the filter gradient takes its conv2d route
  { x: [2, 7, 6, 9], filter: [3, 3, 9, 4], strides: [2, 2], pad: 'same' },
  { x: [3, 9, 8, 8], filter: [2, 3, 8, 5], strides: [3, 2], pad: 'valid' },
  {
    x: [2, 6, 7, 10],
    filter: [3, 3, 10, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 1],
      [1, 0],
      [0, 0],
    ],
  },
  { x: [2, 5, 5, 12], filter: [3, 3, 12, 6], strides: [1, 1], pad: 'same' },
];

function dyShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    c.x as [number, number, number, number],
    c.filter as [number, number, number, number],
    c.strides,
    1,
    c.pad,
  );
  return info.outShape;
}

const convAttrs = (c: ConvCase, extra: Record<string, number[]>) =>
  ({ strides: c.strides, pad: c.pad, dataFormat: 'NHWC', ...extra }) as unknown as tf.NamedAttrMap;

function convBackpropInput(c: ConvCase) {
  return (t: Record<string, tf.Tensor>) =>
    tf
      .engine()
      .runKernel('Conv2DBackpropInput', { dy: t.dy, filter: t.filter }, convAttrs(c, { inputShape: c.x })) as tf.Tensor;
}

function convBackpropFilter(c: ConvCase) {
  return (t: Record<string, tf.Tensor>) =>
    tf
      .engine()
      .runKernel('Conv2DBackpropFilter', { x: t.x, dy: t.dy }, convAttrs(c, { filterShape: c.filter })) as tf.Tensor;
}

function convInputs(c: ConvCase, seed: number): Inputs {
  const dy = dyShape(c);
  return {
    x: { shape: c.x, values: randomValues(c.x, seed) },
    filter: { shape: c.filter, values: randomValues(c.filter, seed + 1) },
    dy: { shape: dy, values: randomValues(dy, seed + 2) },
  };
}

beforeAll(async () => {
  await initRuntime({ backend: 'wasm', quiet: true });
});

describe('Conv2DBackpropInput on wasm', () => {
  it.each(convCases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    expect(await relativeError(convInputs(c, 10 * i), convBackpropInput(c))).toBeLessThan(1e-5);
  });

  it('conv2dTranspose (the public op) equals cpu', async () => {
    const inputs = {
      dy: { shape: [2, 4, 4, 3], values: randomValues([2, 4, 4, 3], 7) },
      w: { shape: [3, 3, 2, 3], values: randomValues([3, 3, 2, 3], 8) },
    };
    const f = (t: Record<string, tf.Tensor>) =>
      tf.conv2dTranspose(t.dy as tf.Tensor4D, t.w as tf.Tensor4D, [2, 8, 8, 2], 2, 'same');
    expect(await relativeError(inputs, f)).toBeLessThan(1e-5);
  });

  it('leaves no tensors or buffers behind', async () => {
    await expectNoLeak(convInputs(convCases[2], 1), convBackpropInput(convCases[2]));
    await expectNoLeak(convInputs(convCases[0], 4), convBackpropInput(convCases[0]));
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  it.each(convCases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    expect(await relativeError(convInputs(c, 100 + 10 * i), convBackpropFilter(c))).toBeLessThan(1e-5);
  });

  it('leaves no tensors or buffers behind', async () => {
    await expectNoLeak(convInputs(convCases[3], 2), convBackpropFilter(convCases[3]));
    await expectNoLeak(convInputs(convCases[12], 3), convBackpropFilter(convCases[12]));
  });
});

describe('BatchMatMul on wasm', () => {
  const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
    { a: [5, 7], b: [9, 7], ta: false, tb: true },
    { a: [7, 5], b: [7, 9], ta: true, tb: false },
    { a: [7, 5], b: [9, 7], ta: true, tb: true },
    { a: [3, 4, 6], b: [3, 6, 5], ta: false, tb: false },
    { a: [3, 6, 4], b: [3, 5, 6], ta: true, tb: true },
    { a: [2, 3, 4, 6], b: [6, 5], ta: false, tb: false },
    { a: [4, 6], b: [3, 6, 5], ta: false, tb: false },
    { a: [2, 1, 4, 6], b: [1, 3, 6, 5], ta: false, tb: false },
    { a: [1, 4, 6], b: [3, 6, 5], ta: false, tb: false },
    { a: [3, 1, 4, 6], b: [1, 3, 6, 5], ta: false, tb: false },
    { a: [3, 6, 4], b: [1, 3, 5, 6], ta: true, tb: true },
    { a: [2, 3, 4, 6], b: [1, 6, 5], ta: false, tb: false },
    { a: [2, 3, 4, 6], b: [1, 3, 6, 5], ta: false, tb: false },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    const inputs = {
      a: { shape: c.a, values: randomValues(c.a, 200 + i) },
      b: { shape: c.b, values: randomValues(c.b, 300 + i) },
    };
    const f = (t: Record<string, tf.Tensor>) => tf.matMul(t.a, t.b, c.ta, c.tb);
    expect(await relativeError(inputs, f)).toBeLessThan(1e-5);
  });

  it('leaves no tensors or buffers behind', async () => {
    const inputs = {
      a: { shape: [3, 6, 4], values: randomValues([3, 6, 4], 1) },
      b: { shape: [3, 5, 6], values: randomValues([3, 5, 6], 2) },
    };
    await expectNoLeak(inputs, (t) => tf.matMul(t.a, t.b, true, true));
    const flat = {
      a: { shape: [2, 3, 4, 6], values: randomValues([2, 3, 4, 6], 3) },
      b: { shape: [5, 6], values: randomValues([5, 6], 4) },
    };
    await expectNoLeak(flat, (t) => tf.matMul(t.a, t.b, false, true));
  });
});

describe('MaxPoolGrad on wasm', () => {
  // Few distinct values → many ties; all below zero → the windows the old kernel got wrong.
  const ties = (u: number) => -1 - Math.floor(u * 3);
  const cases: Array<{
    x: number[];
    size: [number, number];
    strides: [number, number];
    pad: 'valid' | 'same';
    draw?: (u: number) => number;
  }> = [
    { x: [2, 6, 6, 3], size: [2, 2], strides: [2, 2], pad: 'valid', draw: ties },
    { x: [2, 7, 5, 2], size: [3, 3], strides: [2, 2], pad: 'same', draw: ties },
    { x: [1, 9, 8, 4], size: [3, 2], strides: [1, 1], pad: 'valid' },
    { x: [3, 7, 7, 2], size: [2, 3], strides: [3, 2], pad: 'same' },
    { x: [2, 5, 5, 3], size: [3, 3], strides: [1, 1], pad: 'same', draw: (u) => u - 2 },
    // windows of -Infinity only pass no gradient on cpu
    { x: [2, 6, 6, 2], size: [2, 2], strides: [2, 2], pad: 'valid', draw: (u) => (u < 0.6 ? -Infinity : u - 1) },
  ];
  const grad = (c: (typeof cases)[number]) => (t: Record<string, tf.Tensor>) =>
    tf
      .engine()
      .runKernel(
        'MaxPoolGrad',
        { dy: t.dy, input: t.x, output: tf.maxPool(t.x as tf.Tensor4D, c.size, c.strides, c.pad) },
        { filterSize: c.size, strides: c.strides, pad: c.pad },
      ) as tf.Tensor;
  const inputs = (c: (typeof cases)[number], seed: number): Inputs => {
    const out = tf.backend_util.computePool2DInfo(
      c.x as [number, number, number, number],
      c.size,
      c.strides,
      1,
      c.pad,
    ).outShape;
    return {
      x: { shape: c.x, values: randomValues(c.x, seed, c.draw) },
      dy: { shape: out, values: randomValues(out, seed + 1) },
    };
  };
  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    expect(await relativeError(inputs(c, 400 + i), grad(c))).toBeLessThan(1e-5);
  });

  it('the gradient of maxPool through tf.grad equals cpu', async () => {
    const x = { x: { shape: [2, 6, 6, 2], values: randomValues([2, 6, 6, 2], 9, ties) } };
    const f = (t: Record<string, tf.Tensor>) =>
      tf.grad((v: tf.Tensor) =>
        tf
          .maxPool(v as tf.Tensor4D, 2, 2, 'valid')
          .mul(tf.range(1, 19).reshape([1, 3, 3, 2]))
          .sum(),
      )(t.x);
    expect(await relativeError(x, f)).toBeLessThan(1e-5);
  });

  it('leaves no tensors or buffers behind', async () => {
    await expectNoLeak(inputs(cases[1], 5), grad(cases[1]));
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  const ids = Int32Array.from([2, 0, 2, 4, 1, 0, 2]);
  it('sums float32 rows per segment like cpu', async () => {
    const inputs: Inputs = {
      x: { shape: [7, 3, 2], values: randomValues([7, 3, 2], 500) },
      ids: { shape: [7], values: ids, dtype: 'int32' },
    };
    expect(await relativeError(inputs, (t) => tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, 5))).toBeLessThan(1e-5);
  });

  it('sums int32 values like cpu', async () => {
    const inputs: Inputs = {
      x: { shape: [7, 2], values: Int32Array.from({ length: 14 }, (_, i) => ((i * 37) % 11) - 5), dtype: 'int32' },
      ids: { shape: [7], values: ids, dtype: 'int32' },
    };
    expect(await relativeError(inputs, (t) => tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, 6))).toBe(0);
  });

  it('makes tf.gather differentiable, equal to cpu', async () => {
    const inputs: Inputs = {
      x: { shape: [6, 4], values: randomValues([6, 4], 501) },
      idx: { shape: [8], values: Int32Array.from([5, 0, 5, 3, 3, 3, 1, 0]), dtype: 'int32' },
      w: { shape: [8, 4], values: randomValues([8, 4], 502) },
    };
    const f = (t: Record<string, tf.Tensor>) => tf.grad((x: tf.Tensor) => tf.gather(x, t.idx).mul(t.w).sum())(t.x);
    expect(await relativeError(inputs, f)).toBeLessThan(1e-5);
  });

  it('leaves no tensors or buffers behind', async () => {
    const inputs: Inputs = {
      x: { shape: [7, 3], values: randomValues([7, 3], 503) },
      ids: { shape: [7], values: ids, dtype: 'int32' },
    };
    await expectNoLeak(inputs, (t) => tf.unsortedSegmentSum(t.x, t.ids as tf.Tensor1D, 5));
  });
});

describe('Sum on wasm', () => {
  const cases: Array<{ shape: number[]; axis: number | number[]; keepDims: boolean }> = [
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 3], axis: [1, 0], keepDims: true },
    { shape: [7, 9], axis: 0, keepDims: false },
    { shape: [7, 9], axis: -2, keepDims: true },
    { shape: [4, 5, 6], axis: [0, 2], keepDims: false },
    { shape: [4, 5, 6], axis: -1, keepDims: false },
  ];
  it('a full reduction (left to the backend) equals cpu', async () => {
    const inputs = { x: { shape: [3, 4, 5], values: randomValues([3, 4, 5], 610) } };
    expect(await relativeError(inputs, (t) => tf.sum(t.x))).toBeLessThan(1e-5);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    const inputs = { x: { shape: c.shape, values: randomValues(c.shape, 600 + i) } };
    expect(await relativeError(inputs, (t) => tf.sum(t.x, c.axis, c.keepDims))).toBeLessThan(1e-5);
  });

  it('keeps the shape of the cpu result', async () => {
    await initRuntime({ backend: 'wasm', quiet: true });
    const shape = tf.tidy(() => tf.sum(tf.ones([2, 3, 4]), [0, 1], true).shape);
    expect(shape).toEqual([1, 1, 4]);
  });

  it('leaves no tensors or buffers behind', async () => {
    await expectNoLeak({ x: { shape: [4, 5, 6, 3], values: randomValues([4, 5, 6, 3], 7) } }, (t) =>
      tf.sum(t.x, [0, 1, 2]),
    );
  });
});

describe('GatherV2 on wasm', () => {
  const cases: Array<{ x: number[]; idx: number[]; idxShape: number[]; axis: number }> = [
    { x: [10, 4, 3, 1], idx: [9, 0, 3, 3, 7], idxShape: [5], axis: 0 },
    { x: [4, 6, 5], idx: [5, 1, 1, 0, 2, 4], idxShape: [2, 3], axis: 1 },
    { x: [4, 6, 5], idx: [4, 0, 2], idxShape: [3], axis: -1 },
    { x: [7], idx: [6, 6, 0], idxShape: [3], axis: 0 },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i equals cpu', async (i, c) => {
    const inputs: Inputs = {
      x: { shape: c.x, values: randomValues(c.x, 700 + i) },
      idx: { shape: c.idxShape, values: Int32Array.from(c.idx), dtype: 'int32' },
    };
    expect(await relativeError(inputs, (t) => tf.gather(t.x, t.idx, c.axis))).toBeLessThan(1e-5);
  });

  it('gathers int32 values and keeps the cpu result shape', async () => {
    await initRuntime({ backend: 'wasm', quiet: true });
    const y = tf.tidy(() =>
      tf.gather(
        tf.tensor2d(
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          [3, 2],
          'int32',
        ),
        tf.tensor2d([[2, 0]], [1, 2], 'int32'),
      ),
    );
    expect(y.shape).toEqual([1, 2, 2]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([5, 6, 1, 2]);
    y.dispose();
  });

  it('rejects an index out of range without leaving a buffer behind', async () => {
    await initRuntime({ backend: 'wasm', quiet: true });
    const x = tf.ones([3, 2]);
    const idx = tf.tensor1d([0, 3], 'int32');
    const buffers = tf.engine().backend.numDataIds();
    expect(() => tf.gather(x, idx)).toThrow(/not in \[0, 2\]/);
    expect(tf.engine().backend.numDataIds()).toBe(buffers);
    x.dispose();
    idx.dispose();
  });

  it('leaves no tensors or buffers behind', async () => {
    const inputs: Inputs = {
      x: { shape: [10, 3], values: randomValues([10, 3], 9) },
      idx: { shape: [4], values: Int32Array.from([1, 9, 2, 2]), dtype: 'int32' },
    };
    await expectNoLeak(inputs, (t) => tf.gather(t.x, t.idx));
  });
});

describe('Identity on wasm', () => {
  it('a clone keeps its values after the original is disposed, and frees its buffer once both are gone', async () => {
    await initRuntime({ backend: 'wasm', quiet: true });
    const buffersBefore = tf.engine().backend.numDataIds();
    const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
    const y = tf.clone(x);
    const z = tf.cast(y, 'float32');
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3, 4]);
    y.dispose();
    expect(Array.from(z.dataSync())).toEqual([1.5, -2, 3, 4]);
    expect(z.shape).toEqual([2, 2]);
    z.dispose();
    expect(tf.engine().backend.numDataIds()).toBe(buffersBefore);
  });
});

describe('training a conv net on wasm', () => {
  it('all gradients of a small CNN loss (conv, relu, maxpool, strided conv, dense, gather) equal cpu', async () => {
    const shapes = { x: [3, 9, 9, 2], w1: [3, 3, 2, 4], w2: [3, 3, 4, 5], w3: [20, 3] };
    const inputs: Inputs = Object.fromEntries(
      Object.entries(shapes).map(([k, shape], i) => [k, { shape, values: randomValues(shape, 800 + i) }]),
    );
    inputs.pick = { shape: [4], values: Int32Array.from([2, 0, 2, 1]), dtype: 'int32' };
    const f = (t: Record<string, tf.Tensor>) => {
      const loss = (x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor) => {
        const h1 = tf.maxPool(tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
        const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 2, 'same'));
        const logits = tf.matMul(h2.reshape([3, 20]), w3);
        return tf.gather(logits, t.pick).square().sum();
      };
      const grads = tf.grads(loss)([t.x, t.w1, t.w2, t.w3]);
      return tf.concat(grads.map((g) => g.flatten()));
    };
    expect(await relativeError(inputs, f)).toBeLessThan(1e-5);
  });

  it('model.fit of conv → maxpool → dense runs and its loss falls', async () => {
    await initRuntime({ backend: 'wasm', quiet: true });
    const next = rng(42);
    const n = 64;
    const images = new Float32Array(n * 8 * 8);
    const labels = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const right = i % 2;
      for (let p = 0; p < 64; p++) {
        const col = p % 8;
        const bright = right ? col >= 4 : col < 4;
        images[i * 64 + p] = (bright ? 0.8 : 0.1) + 0.2 * next();
      }
      labels[i * 2 + right] = 1;
    }
    const xs = tf.tensor4d(images, [n, 8, 8, 1]);
    const ys = tf.tensor2d(labels, [n, 2]);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 1],
          filters: 4,
          kernelSize: 3,
          activation: 'relu',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({
          units: 2,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
    const history = await model.fit(xs, ys, { epochs: 15, batchSize: 16, verbose: 0, shuffle: false });
    const loss = history.history.loss as number[];
    expect(loss.every(Number.isFinite)).toBe(true);
    expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
    model.dispose();
    xs.dispose();
    ys.dispose();
  });
});
