/**
 * k-means compression of the support set: prototypes are the α-weighted means of their members and
 * carry their summed α (Σα and θ unchanged); the reported largest change of o(x) on the training set
 * matches a float64 recomputation; with one prototype per support vector nothing changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime } from '../src/runtime/runtime.ts';
import { OneClassSVM } from '../src/ocsvm/one-class-svm.ts';
import { mnistDigitImages } from '../src/data/mnist.ts';
import { compressSupportVectors } from '../src/neuralize/support-compression.ts';
import { UserError } from '../src/errors.ts';

const n = 400;
const d = 784;
let data: Float32Array;
let svm: OneClassSVM;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  data = mnistDigitImages(4).slice(0, n * d);
  svm = new OneClassSVM({ kernel: 'rbf', nu: 0.3 }).fit({ data, n, d });
});

/** o(x) = −(1/γ) log Σ_j (α_j/νl) exp(−γ‖x − u_j‖²) for every training row, float64 loops. */
function outliernessReference(m: {
  gamma: number;
  nu: number;
  nTrain: number;
  dualCoef: ArrayLike<number>;
  supportVectors: Float32Array;
}): Float64Array {
  const scale = m.nu * m.nTrain;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h: number[] = [];
    for (let j = 0; j < m.dualCoef.length; j++) {
      let dist = 0;
      for (let t = 0; t < d; t++) dist += (data[i * d + t] - m.supportVectors[j * d + t]) ** 2;
      h.push(dist + Math.log(scale / m.dualCoef[j]) / m.gamma);
    }
    const low = Math.min(...h);
    out[i] = low - Math.log(h.reduce((acc, v) => acc + Math.exp(-m.gamma * (v - low)), 0)) / m.gamma;
  }
  return out;
}

/** Decision value f(x) = Σ_j α_j exp(−γ‖x − u_j‖²) − ρ for every training row, float64 loops (no o(x), no θ). */
function decisionReference(m: {
  gamma: number;
  rho: number;
  dualCoef: ArrayLike<number>;
  supportVectors: Float32Array;
}): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let f = -m.rho;
    for (let j = 0; j < m.dualCoef.length; j++) {
      let dist = 0;
      for (let t = 0; t < d; t++) dist += (data[i * d + t] - m.supportVectors[j * d + t]) ** 2;
      f += m.dualCoef[j] * Math.exp(-m.gamma * dist);
    }
    out[i] = f;
  }
  return out;
}

describe('support-vector compression', () => {
  it('builds α-weighted prototypes and reports the true largest change of o(x)', () => {
    const k = 20;
    const { model, assignment, maxOutliernessChange, changedDecisions } = compressSupportVectors(svm, {
      prototypes: k,
      seed: 1,
      training: { data, n },
    });
    expect(svm.nSupport).toBeGreaterThan(k);
    expect(model.dualCoef.length).toBe(k);
    const sumBefore = svm.dualCoef.reduce((a, b) => a + b, 0);
    expect(model.dualCoef.reduce((a, b) => a + b, 0)).toBeCloseTo(sumBefore, 9);
    for (let c = 0; c < k; c++) {
      let weight = 0;
      const mean = new Float64Array(d);
      for (let j = 0; j < svm.nSupport; j++) {
        if (assignment[j] !== c) continue;
        weight += svm.dualCoef[j];
        for (let t = 0; t < d; t++) mean[t] += svm.dualCoef[j] * svm.supportVectors[j * d + t];
      }
      expect(model.dualCoef[c]).toBeCloseTo(weight, 9);
      for (let t = 0; t < d; t += 37) expect(model.supportVectors[c * d + t]).toBeCloseTo(mean[t] / weight, 5);
    }
    const before = outliernessReference(svm);
    const after = outliernessReference(model);
    let maxChange = 0;
    for (let i = 0; i < n; i++) maxChange = Math.max(maxChange, Math.abs(after[i] - before[i]));
    console.log(
      `compression ${svm.nSupport} → ${k} support vectors: largest change of o(x) ${maxChange.toFixed(4)}, ${changedDecisions} of ${n} decisions change`,
    );
    expect(maxChange).toBeGreaterThan(0);
    expect(Math.abs(maxOutliernessChange! - maxChange)).toBeLessThanOrEqual(1e-3 * maxChange + 1e-4);
    // flips of the inlier/outlier side, counted from both models' float64 decision values; a sample
    // within float32 rounding of the boundary (|f| < 1e-5·ρ) may go either way in the engine
    const fBefore = decisionReference(svm);
    const fAfter = decisionReference(model);
    let sureFlips = 0;
    let borderline = 0;
    for (let i = 0; i < n; i++) {
      if (Math.min(Math.abs(fBefore[i]), Math.abs(fAfter[i])) < 1e-5 * svm.rho) borderline++;
      else if (fBefore[i] > 0 !== fAfter[i] > 0) sureFlips++;
    }
    console.log(`decision flips recomputed in float64: ${sureFlips} (+ ${borderline} at the boundary)`);
    expect(changedDecisions).toBeGreaterThanOrEqual(sureFlips);
    expect(changedDecisions).toBeLessThanOrEqual(sureFlips + borderline);
  });

  it('changes nothing with one prototype per support vector', () => {
    const { model, maxOutliernessChange, changedDecisions } = compressSupportVectors(svm, {
      prototypes: svm.nSupport,
      training: { data, n },
    });
    expect(Array.from(model.dualCoef)).toEqual(Array.from(svm.dualCoef));
    expect(maxOutliernessChange).toBe(0);
    expect(changedDecisions).toBe(0);
  });

  it('rejects a bad prototype count', () => {
    expect(() => compressSupportVectors(svm, { prototypes: 0 })).toThrow(UserError);
  });
});
