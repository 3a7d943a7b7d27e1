/**
 * OneClassSVM as an estimator: kernel blocks (dense and sparse paths) against plain float64 loops,
 * batched scoring across block boundaries, both input shapes, save/load, and input validation.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { expNonPositive } from '../src/ocsvm/fast-exp.ts';
import { KernelBlock, OneClassSVM, kernelValue, resolveGamma } from '../src/ocsvm/index.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** values in [0, 1), about `zeros` of them exactly 0 */
function randomData(n: number, d: number, seed: number, zeros = 0): { data: Float32Array; n: number; d: number } {
  const rnd = lcg(seed);
  const data = new Float32Array(n * d);
  for (let t = 0; t < n * d; t++) data[t] = rnd() < zeros ? 0 : rnd();
  return { data, n, d };
}

function expectUserError(f: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  expect((caught as Error).message).toMatch(pattern);
}

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

describe('kernel blocks', () => {
  it('fast exp of x ≤ 0 is within 1e-8 relative of Math.exp, 0 below float32 range', () => {
    for (let t = 0; t <= 200000; t++) {
      const x = -t * 5.2e-4; // 0 … −104, crossing every range-reduction boundary
      expect(Math.abs(expNonPositive(x) - Math.exp(x))).toBeLessThanOrEqual(1e-8 * Math.exp(x));
    }
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-104.5)).toBe(0);
    expect(expNonPositive(-1e6)).toBe(0);
  });

  it('Gaussian through the float32 tfjs product is within 1e-5 of float64 loops, without leaking tensors', () => {
    const ref = randomData(300, 40, 11, 0.3);
    const query = randomData(21, 40, 12, 0.3);
    // constant features (one blank, one at 0.7) are left out of the product: the result must not change
    for (let j = 0; j < ref.n; j++) {
      ref.data[j * 40 + 3] = 0;
      ref.data[j * 40 + 17] = 0.7;
    }
    const block = new KernelBlock(ref, 'rbf', 0.05, { gemm: true });
    expect(block.gemm).toBe(true);
    const rows = Array.from({ length: 21 }, (_, r) => r);
    const out = new Float32Array(21 * 300);
    block.compute(query, rows, out);
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 5; rep++) block.compute(query, rows, out);
    expect(tf.memory().numTensors).toBe(before);
    block.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    rows.forEach((q) => {
      for (let j = 0; j < ref.n; j++) {
        const k = kernelValue('rbf', 0.05, query.data, q * 40, ref.data, j * 40, 40);
        expect(Math.abs(out[q * ref.n + j] - k)).toBeLessThan(1e-5 * k + 1e-7);
      }
    });
  });

  it('fit and scoring leave no tensors behind', () => {
    const x = randomData(200, 8, 13);
    const before = tf.memory().numTensors;
    for (let rep = 0; rep < 3; rep++) {
      const svm = new OneClassSVM({ nu: 0.2, gemm: true }).fit(x);
      svm.decisionFunction(x);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const kernel of ['rbf', 'laplacian'] as const) {
    for (const sparse of [false, true]) {
      it(`${kernel}, ${sparse ? 'sparse' : 'dense'} path equals float64 loops`, () => {
        const ref = randomData(37, 13, 1, 0.6);
        const query = randomData(11, 13, 2, 0.6);
        const gamma = kernel === 'rbf' ? 0.4 : 0.2;
        const block = new KernelBlock(ref, kernel, gamma, { sparse, gemm: false });
        expect(block.sparse).toBe(sparse);
        const rows = [0, 3, 4, 5, 9, 10, 2]; // not a multiple of 4: exercises the short group
        const out = new Float32Array(rows.length * ref.n);
        block.compute(query, rows, out);
        rows.forEach((q, r) => {
          for (let j = 0; j < ref.n; j++) {
            const k = kernelValue(kernel, gamma, query.data, q * 13, ref.data, j * 13, 13);
            expect(Math.abs(out[r * ref.n + j] - k)).toBeLessThan(2e-7);
          }
        });
      });
    }
  }

  it('k(x, x) = 1 on both paths', () => {
    const x = randomData(9, 50, 3, 0.5);
    for (const sparse of [false, true]) {
      const out = new Float32Array(9 * 9);
      new KernelBlock(x, 'rbf', 0.9, { sparse, gemm: false }).compute(x, [0, 1, 2, 3, 4, 5, 6, 7, 8], out);
      for (let i = 0; i < 9; i++) expect(out[i * 9 + i]).toBe(1);
    }
  });

  it("gamma 'scale' is 1/(d·Var X) over all entries, 'auto' is 1/d", () => {
    const x = randomData(20, 4, 5);
    let mean = 0;
    for (const v of x.data) mean += v / x.data.length;
    let variance = 0;
    for (const v of x.data) variance += (v - mean) ** 2 / x.data.length;
    expect(resolveGamma('scale', x)).toBeCloseTo(1 / (4 * variance), 12);
    expect(resolveGamma('auto', x)).toBe(0.25);
    expect(resolveGamma('scale', { data: new Float32Array(8).fill(3), n: 2, d: 4 })).toBe(1);
  });
});

describe('OneClassSVM estimator', () => {
  const train = randomData(150, 6, 7);

  it('scores in blocks: many samples equal Σ α k − ρ by plain loops', () => {
    const svm = new OneClassSVM({ nu: 0.2 }).fit(train);
    const query = randomData(2100, 6, 8); // crosses the 2048-sample block
    const f = svm.decisionFunction(query);
    const s = svm.scoreSamples(query);
    const p = svm.predict(query);
    for (let r = 0; r < query.n; r += 7) {
      let sum = 0;
      for (let k = 0; k < svm.nSupport; k++)
        sum += svm.dualCoef[k] * kernelValue('rbf', svm.gamma, query.data, r * 6, svm.supportVectors, k * 6, 6);
      expect(Math.abs(s[r] - sum)).toBeLessThan(1e-6 * svm.nu * svm.nTrain);
      expect(f[r]).toBeCloseTo(s[r] - svm.rho, 12);
      expect(p[r]).toBe(f[r] > 0 ? 1 : -1);
    }
    // the support vectors are the training rows named by supportIndices
    svm.supportIndices.forEach((i, k) => {
      expect(Array.from(svm.supportVectors.subarray(k * 6, k * 6 + 6))).toEqual(
        Array.from(train.data.subarray(i * 6, i * 6 + 6)),
      );
    });
    expect(svm.fitSeconds).toBeGreaterThan(0);
    expect(svm.iterations).toBeGreaterThan(0);
  });

  it('accepts number[][] as well as {data, n, d}', () => {
    const rows = Array.from({ length: train.n }, (_, i) => Array.from(train.data.subarray(i * 6, i * 6 + 6)));
    const a = new OneClassSVM({ nu: 0.3, kernel: 'laplacian', gamma: 0.5 }).fit(train);
    const b = new OneClassSVM({ nu: 0.3, kernel: 'laplacian', gamma: 0.5 }).fit(rows);
    expect(b.rho).toBe(a.rho);
    expect(Array.from(b.decisionFunction(rows.slice(0, 10)))).toEqual(
      Array.from(a.decisionFunction(rows.slice(0, 10))),
    );
  });

  it('saves and loads: identical model and decision values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocsvm-'));
    const path = join(dir, 'model.json');
    const svm = new OneClassSVM({ nu: 0.1, kernel: 'laplacian', gamma: 'auto' }).fit(train);
    svm.save(path);
    expect(readdirSync(dir)).toEqual(['model.json']); // no temporary file left behind
    const back = OneClassSVM.load(path);
    expect(back.kernel).toBe('laplacian');
    expect(back.gamma).toBe(svm.gamma);
    expect(back.rho).toBe(svm.rho);
    expect(back.nu).toBe(0.1);
    expect(back.nTrain).toBe(150);
    expect(Array.from(back.supportIndices)).toEqual(Array.from(svm.supportIndices));
    expect(Array.from(back.dualCoef)).toEqual(Array.from(svm.dualCoef));
    expect(Array.from(back.supportVectors)).toEqual(Array.from(svm.supportVectors));
    const q = randomData(30, 6, 9);
    expect(Array.from(back.decisionFunction(q))).toEqual(Array.from(svm.decisionFunction(q)));
    expect(OneClassSVM.fromJSON(JSON.parse(JSON.stringify(svm))).rho).toBe(svm.rho);
  });

  it('rejects model files of another version, corrupt or truncated ones, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocsvm-'));
    const path = join(dir, 'model.json');
    new OneClassSVM({ nu: 0.5 }).fit(train).save(path);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    const other = join(dir, 'v2.json');
    writeFileSync(other, JSON.stringify({ ...json, version: 2 }));
    expectUserError(() => OneClassSVM.load(other), /v2\.json.*version 2/);
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, readFileSync(path, 'utf8').slice(0, 100));
    expectUserError(() => OneClassSVM.load(corrupt), /corrupt\.json.*corrupt JSON/);
    const short = join(dir, 'short.json');
    writeFileSync(short, JSON.stringify({ ...json, dualCoef: json.dualCoef.slice(1) }));
    expectUserError(() => OneClassSVM.load(short), /short\.json.*dualCoef/);
    const badNu = join(dir, 'nu.json');
    writeFileSync(badNu, JSON.stringify({ ...json, nu: 3 }));
    expectUserError(() => OneClassSVM.load(badNu), /nu\.json.*nu is not in/);
    expectUserError(() => OneClassSVM.load(join(dir, 'missing.json')), /missing\.json/);
  });

  it('validates options and data with clear UserErrors', () => {
    for (const nu of [0, -0.1, 1.5, NaN]) expectUserError(() => new OneClassSVM({ nu }), /nu must be in \(0, 1\]/);
    for (const gamma of [0, -1, NaN, Infinity])
      expectUserError(() => new OneClassSVM({ gamma }), /gamma must be a positive number/);
    expectUserError(() => new OneClassSVM({ gamma: 'big' as never }), /gamma/);
    expectUserError(() => new OneClassSVM({ kernel: 'poly' }), /unknown kernel 'poly'.*rbf.*laplacian/);
    expectUserError(() => new OneClassSVM().fit([[1, 2]]), /at least 2 samples/);
    expectUserError(
      () =>
        new OneClassSVM().fit([
          [1, 2],
          [3, NaN],
        ]),
      /row 1, column 1 is NaN/,
    );
    expectUserError(
      () => new OneClassSVM().fit({ data: Float32Array.from([1, 2, Infinity, 4]), n: 2, d: 2 }),
      /row 1, column 0 is Infinity/,
    );
    expectUserError(() => new OneClassSVM().fit([[1, 2], [3]]), /row 1 has 1 values, expected 2/);
    expectUserError(() => new OneClassSVM().fit({ data: new Float32Array(5), n: 2, d: 2 }), /not n × d/);
    const svm = new OneClassSVM({ nu: 0.5 }).fit(train);
    expectUserError(() => svm.decisionFunction([[1, 2, 3]]), /3 features.*trained on 6/);
    expectUserError(() => new OneClassSVM().decisionFunction([[1]]), /not fitted/);
    expect(svm.decisionFunction([]).length).toBe(0);
  });
});
