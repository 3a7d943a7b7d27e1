/**
 * ParallelScorer (main thread + worker threads) scores like OneClassSVM in one thread (bit for bit)
 * and like an explicit float64 sum Σ α_i k(sv_i, x) − ρ, keeps the order of the rows across its slices, leaves
 * no tensors behind and refuses work once closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { OneClassSVM, kernelValue } from '../src/ocsvm/index.ts';
import { ParallelScorer, SCORE_CHUNK } from '../src/ocsvm/parallel-scorer.ts';
import { loadMnistPixels } from './support/mnist-pixels.ts';

const d = 784;
let svm: OneClassSVM;
let query: { data: Float32Array; n: number; d: number };
let scorer: ParallelScorer;
let tensorsBefore: number;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  const digits = loadMnistPixels(700);
  svm = new OneClassSVM({ nu: 0.2 }).fit({ data: digits.data.subarray(0, 400 * d), n: 400, d });
  // 300 rows: not a multiple of the three slices, and the first 100 are training rows
  query = { data: digits.data.slice(300 * d, 600 * d), n: 300, d };
  tensorsBefore = tf.memory().numTensors;
  scorer = await ParallelScorer.start(svm, { workers: 2 });
}, 30_000);

afterAll(async () => {
  await scorer?.close();
});

/** Σ α_i k(sv_i, x_r) − ρ in float64, term by term. */
function explicitDecision(r: number): number {
  let s = 0;
  for (let k = 0; k < svm.nSupport; k++)
    s += svm.dualCoef[k] * kernelValue('rbf', svm.gamma, query.data, r * d, svm.supportVectors, k * d, d);
  return s - svm.rho;
}

describe('ParallelScorer', () => {
  it('gives the one-thread decision values (to float32 rounding) and the explicit float64 sums', async () => {
    expect(scorer.threads).toBe(3);
    const single = svm.decisionFunction(query);
    const parallel = await scorer.decisionFunction(query);
    expect(parallel.length).toBe(query.n);
    for (let r = 0; r < query.n; r++) {
      expect(Math.abs(parallel[r] - single[r])).toBeLessThanOrEqual(1e-6 * svm.rho);
      expect(Math.abs(parallel[r] - explicitDecision(r))).toBeLessThanOrEqual(1e-5 * svm.rho);
    }
    const scores = await scorer.scoreSamples(query);
    for (let r = 0; r < query.n; r++) expect(scores[r] - svm.rho).toBeCloseTo(parallel[r], 9);
    // both signs occur, so a swapped slice would show
    expect(parallel.some((v) => v > 0) && parallel.some((v) => v < 0)).toBe(true);
  });

  it('scores rows in many claimed chunks exactly as one thread does, in order', async () => {
    // 1,300 rows: chunks of SCORE_CHUNK rows, the last one partial, claimed by whichever thread is free
    const many = { data: loadMnistPixels(1700).data.slice(400 * d), n: 1300, d };
    expect(many.n).toBeGreaterThan(2 * SCORE_CHUNK);
    const single = svm.decisionFunction(many);
    for (let repeat = 0; repeat < 3; repeat++)
      expect(Array.from(await scorer.decisionFunction(many))).toEqual(Array.from(single));
  });

  it('scores fewer rows than threads, and nothing', async () => {
    const two = { data: query.data.slice(0, 2 * d), n: 2, d };
    const f = await scorer.decisionFunction(two);
    expect(Array.from(f, (v, r) => Math.abs(v - explicitDecision(r)) <= 1e-5 * svm.rho)).toEqual([true, true]);
    expect((await scorer.decisionFunction({ data: new Float32Array(0), n: 0, d })).length).toBe(0);
  });

  it('keeps no tensors over repeated calls beyond its own support vectors', async () => {
    await scorer.scoreSamples(query);
    const steady = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await scorer.scoreSamples(query);
    expect(tf.memory().numTensors).toBe(steady);
  });

  it('rejects samples of the wrong width as a UserError', async () => {
    await expect(scorer.scoreSamples({ data: new Float32Array(10), n: 2, d: 5 })).rejects.toThrow(UserError);
    await expect(scorer.scoreSamples({ data: new Float32Array(10), n: 2, d: 5 })).rejects.toThrow(
      /5 features per sample, the model was trained on 784/,
    );
  });

  it('with no worker, scores on the main thread alone; closes cleanly and frees its tensors', async () => {
    const alone = await ParallelScorer.start(svm, { workers: 0 });
    expect(alone.threads).toBe(1);
    const f = await alone.decisionFunction(query);
    const single = svm.decisionFunction(query);
    for (let r = 0; r < query.n; r++) expect(Math.abs(f[r] - single[r])).toBeLessThanOrEqual(1e-6 * svm.rho);
    await alone.close();
    await alone.close(); // a second close is harmless
    await expect(alone.scoreSamples(query)).rejects.toThrow(/already closed/);
    await scorer.close();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expect(scorer.decisionFunction(query)).rejects.toThrow(UserError);
  });

  it('refuses a negative worker count', async () => {
    await expect(ParallelScorer.start(svm, { workers: -1 })).rejects.toThrow(/workers must be an integer ≥ 0/);
  });
});
