/**
 * Kernel values between many query rows and a fixed reference set, computed block-wise.
 *
 * GEMM path (Gaussian kernel, tfjs on the wasm/XNNPACK or native backend): x·u for a block of
 * query rows against all reference rows is one float32 matrix product with the reference kept
 * in a tensor, then dist = ‖x‖²+‖u‖²−2x·u and exp in float64. Both sides are first
 * centred on the reference mean (distances do not change): float32 accumulation error grows with
 * the partial sums, and centring halves it on pixel data (kernel values within ~2e-6 relative of
 * float64 on MNIST). Features constant over the reference set stay out of the product.
 *
 * JS paths (the Laplacian, or no fast backend), float64 accumulation, chosen by the sparsity of
 * the reference data (or forced):
 * - dense: a register-blocked product (4 query rows × 2 reference rows per inner loop, reference
 *   rows in L2-sized chunks), giving x·u for the Gaussian or ‖x−u‖₁ directly;
 * - sparse: per query row, only its non-zero features touch the transposed reference matrix
 *   (d × n, one contiguous line per feature), several features per pass. ‖x−u‖₁ uses
 *   ‖u‖₁ + Σ_{k: x_k≠0} (|x_k−u_k| − |u_k|). Pays off on pixel data (MNIST is ~80 % zeros).
 *
 * Results are stored as float32, as libsvm caches its kernel values.
 */
import { activeBackend, tf } from '../runtime/runtime.ts';
import { expNonPositive } from './fast-exp.ts';
import type { KernelName } from './kernel.ts';
import type { Matrix } from './matrix.ts';

/** Above this fraction of zeros in the reference data the sparse path is used. */
const SPARSE_ZERO_FRACTION = 0.5;
const REF_CHUNK = 128;
/** tile edge for the transpositions around the GEMM */
const TILE = 16;

export interface KernelBlockOptions {
  /** force the sparse (true) or dense (false) JS path; default: by the data's fraction of zeros */
  sparse?: boolean;
  /** use the tfjs matrix product (Gaussian only); default: when the wasm or native backend is active */
  gemm?: boolean;
  /**
   * the GEMM path's centre, default that of the reference set: a block over part of a data set
   * given the whole set's centre computes the same kernel values, bit for bit, as a block over all of it
   */
  centre?: GemmCentre;
}

/** Where the GEMM path centres both sides: the reference mean, and the features that vary over the reference. */
export interface GemmCentre {
  mean: Float64Array;
  varying: Int32Array;
}

/** Whether tfjs runs on a backend whose matMul beats the JS loops. */
export function fastGemmAvailable(): boolean {
  const b = activeBackend();
  return b === 'wasm' || b === 'tensorflow';
}

/** The reference set as the GEMM path uses it. */
interface GemmReference extends GemmCentre {
  /** centred varying features: n × dv */
  tensor: tf.Tensor2D;
  /** squared norms of the centred reference rows */
  norms: Float64Array;
}

export class KernelBlock {
  readonly n: number;
  readonly sparse: boolean;
  readonly gemm: boolean;
  private readonly refNorms: Float64Array;
  private gemmRef: GemmReference | null = null;
  private refT: Float32Array | null = null;
  private readonly acc: Float64Array;
  private readonly centre: GemmCentre | null;

  constructor(
    readonly ref: Matrix,
    readonly kernel: KernelName,
    readonly gamma: number,
    options: KernelBlockOptions = {},
  ) {
    this.n = ref.n;
    this.sparse = options.sparse ?? prefersSparse(ref);
    this.gemm = kernel === 'rbf' && (options.gemm ?? fastGemmAvailable());
    this.centre = options.centre ?? null;
    this.refNorms = rowNorms(ref, kernel);
    this.acc = new Float64Array(ref.n);
  }

  /** Release the reference tensor (the GEMM path); the block can still be used afterwards. */
  dispose(): void {
    this.gemmRef?.tensor.dispose();
    this.gemmRef = null;
  }

  /** out[r·n + j] = k(query row rows[r], reference row j), for r < rows.length. */
  compute(query: Matrix, rows: ArrayLike<number>, out: Float32Array): void {
    if (this.gemm) {
      this.gemmRows(query, rows, out);
    } else if (this.sparse) {
      for (let r = 0; r < rows.length; r++) this.sparseRow(query, rows[r], out, r * this.n);
    } else {
      this.denseRows(query, rows, out);
    }
  }

  private gemmRows(query: Matrix, rows: ArrayLike<number>, out: Float32Array): void {
    const { n } = this;
    const d = query.d;
    const m = rows.length;
    this.gemmRef ??= this.prepareGemm();
    const { tensor, mean, norms: un, varying: cols } = this.gemmRef;
    const dv = cols.length;
    // centred query rows, transposed (dv × m): all features count in the norms, the varying ones
    // enter the product. Reference × queryᵀ runs faster in XNNPACK than query × referenceᵀ.
    const qT = new Float32Array(dv * m);
    const qn = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      const a = rows[r] * d;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const c = Math.fround(query.data[a + k] - mean[k]);
        s += c * c;
      }
      qn[r] = s;
    }
    // transpose in tiles of TILE rows so that writes stay within a few cache lines
    for (let r0 = 0; r0 < m; r0 += TILE) {
      const r1 = Math.min(m, r0 + TILE);
      for (let t = 0; t < dv; t++) {
        const k = cols[t];
        const mk = mean[k];
        for (let r = r0; r < r1; r++) qT[t * m + r] = query.data[rows[r] * d + k] - mk;
      }
    }
    const product = tf.tidy(() => tf.matMul(tensor, tf.tensor2d(qT, [dv, m])));
    const dots = product.dataSync() as Float32Array; // n × m
    product.dispose();
    const g = -this.gamma;
    for (let j0 = 0; j0 < n; j0 += TILE) {
      const j1 = Math.min(n, j0 + TILE);
      for (let r = 0; r < m; r++) {
        const qr = qn[r];
        const o = r * n;
        for (let j = j0; j < j1; j++) {
          const dist = qr + un[j] - 2 * dots[j * m + r];
          out[o + j] = expNonPositive(g * (dist > 0 ? dist : 0));
        }
      }
    }
  }

  /**
   * Centre the reference rows (see gemmCentre) and upload their varying features as a tensor.
   */
  private prepareGemm(): GemmReference {
    const { data, n, d } = this.ref;
    const { mean, varying } = this.centre ?? gemmCentre(this.ref);
    const dv = varying.length;
    const centred = new Float32Array(n * dv);
    const norms = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < dv; t++) {
        const c = Math.fround(data[j * d + varying[t]] - mean[varying[t]]);
        centred[j * dv + t] = c;
        s += c * c;
      }
      norms[j] = s;
    }
    return { tensor: tf.tensor2d(centred, [n, dv]), mean, norms, varying };
  }

  private transposed(): Float32Array {
    if (!this.refT) {
      const { data, n, d } = this.ref;
      const t = new Float32Array(n * d);
      for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) t[k * n + j] = data[j * d + k];
      this.refT = t;
    }
    return this.refT;
  }

  private sparseRow(query: Matrix, row: number, out: Float32Array, offset: number): void {
    const { n } = this;
    const d = query.d;
    const q = query.data;
    const base = row * d;
    const refT = this.transposed();
    const acc = this.acc;
    acc.fill(0);
    const l1 = this.kernel === 'laplacian';
    const nzIdx: number[] = [];
    let qNorm = 0;
    for (let k = 0; k < d; k++) {
      const v = q[base + k];
      if (v !== 0) {
        nzIdx.push(k);
        qNorm += v * v;
      }
    }
    let p = 0;
    if (!l1) {
      for (; p + 4 <= nzIdx.length; p += 4) {
        const k0 = nzIdx[p],
          k1 = nzIdx[p + 1],
          k2 = nzIdx[p + 2],
          k3 = nzIdx[p + 3];
        const v0 = q[base + k0],
          v1 = q[base + k1],
          v2 = q[base + k2],
          v3 = q[base + k3];
        const o0 = k0 * n,
          o1 = k1 * n,
          o2 = k2 * n,
          o3 = k3 * n;
        for (let j = 0; j < n; j++)
          acc[j] += v0 * refT[o0 + j] + v1 * refT[o1 + j] + v2 * refT[o2 + j] + v3 * refT[o3 + j];
      }
      for (; p < nzIdx.length; p++) {
        const k0 = nzIdx[p];
        const v0 = q[base + k0],
          o0 = k0 * n;
        for (let j = 0; j < n; j++) acc[j] += v0 * refT[o0 + j];
      }
      const norms = this.refNorms;
      const g = -this.gamma;
      for (let j = 0; j < n; j++) {
        const dist = qNorm + norms[j] - 2 * acc[j];
        out[offset + j] = expNonPositive(g * (dist > 0 ? dist : 0));
      }
    } else {
      for (; p + 2 <= nzIdx.length; p += 2) {
        const k0 = nzIdx[p],
          k1 = nzIdx[p + 1];
        const v0 = q[base + k0],
          v1 = q[base + k1];
        const o0 = k0 * n,
          o1 = k1 * n;
        for (let j = 0; j < n; j++) {
          const u0 = refT[o0 + j],
            u1 = refT[o1 + j];
          acc[j] += Math.abs(v0 - u0) - Math.abs(u0) + Math.abs(v1 - u1) - Math.abs(u1);
        }
      }
      for (; p < nzIdx.length; p++) {
        const k0 = nzIdx[p];
        const v0 = q[base + k0],
          o0 = k0 * n;
        for (let j = 0; j < n; j++) {
          const u0 = refT[o0 + j];
          acc[j] += Math.abs(v0 - u0) - Math.abs(u0);
        }
      }
      const norms = this.refNorms;
      const g = -this.gamma;
      for (let j = 0; j < n; j++) {
        const dist = norms[j] + acc[j];
        out[offset + j] = expNonPositive(g * (dist > 0 ? dist : 0));
      }
    }
  }

  private denseRows(query: Matrix, rows: ArrayLike<number>, out: Float32Array): void {
    const { n } = this;
    const d = query.d;
    const q = query.data;
    const u = this.ref.data;
    const m = rows.length;
    const l1 = this.kernel === 'laplacian';
    const g = -this.gamma;
    const un = this.refNorms;
    // Gaussian: dist = ‖x‖² + ‖u‖² − 2x·u (clamped at 0); Laplacian: the sums are the distances
    const qn = new Float64Array(m);
    if (!l1) for (let r = 0; r < m; r++) qn[r] = squaredNorm(q, rows[r] * d, d);
    const kv = (s: number, r: number, j: number): number => {
      if (l1) return expNonPositive(g * s);
      const dist = qn[r] + un[j] - 2 * s;
      return expNonPositive(g * (dist > 0 ? dist : 0));
    };
    for (let j0 = 0; j0 < n; j0 += REF_CHUNK) {
      const j1 = Math.min(n, j0 + REF_CHUNK);
      for (let r = 0; r < m; r += 4) {
        const rr = Math.min(4, m - r);
        // short groups repeat their last row (cheap, keeps one inner loop)
        const a0 = rows[r] * d;
        const a1 = rows[r + Math.min(1, rr - 1)] * d;
        const a2 = rows[r + Math.min(2, rr - 1)] * d;
        const a3 = rows[r + Math.min(3, rr - 1)] * d;
        let j = j0;
        for (; j + 2 <= j1; j += 2) {
          const b0 = j * d,
            b1 = b0 + d;
          let s00 = 0,
            s01 = 0,
            s10 = 0,
            s11 = 0,
            s20 = 0,
            s21 = 0,
            s30 = 0,
            s31 = 0;
          if (l1) {
            for (let k = 0; k < d; k++) {
              const u0 = u[b0 + k],
                u1 = u[b1 + k];
              const x0 = q[a0 + k],
                x1 = q[a1 + k],
                x2 = q[a2 + k],
                x3 = q[a3 + k];
              s00 += Math.abs(x0 - u0);
              s01 += Math.abs(x0 - u1);
              s10 += Math.abs(x1 - u0);
              s11 += Math.abs(x1 - u1);
              s20 += Math.abs(x2 - u0);
              s21 += Math.abs(x2 - u1);
              s30 += Math.abs(x3 - u0);
              s31 += Math.abs(x3 - u1);
            }
          } else {
            for (let k = 0; k < d; k++) {
              const u0 = u[b0 + k],
                u1 = u[b1 + k];
              const x0 = q[a0 + k],
                x1 = q[a1 + k],
                x2 = q[a2 + k],
                x3 = q[a3 + k];
              s00 += x0 * u0;
              s01 += x0 * u1;
              s10 += x1 * u0;
              s11 += x1 * u1;
              s20 += x2 * u0;
              s21 += x2 * u1;
              s30 += x3 * u0;
              s31 += x3 * u1;
            }
          }
          const o = r * n + j;
          out[o] = kv(s00, r, j);
          out[o + 1] = kv(s01, r, j + 1);
          if (rr > 1) {
            out[o + n] = kv(s10, r + 1, j);
            out[o + n + 1] = kv(s11, r + 1, j + 1);
          }
          if (rr > 2) {
            out[o + 2 * n] = kv(s20, r + 2, j);
            out[o + 2 * n + 1] = kv(s21, r + 2, j + 1);
          }
          if (rr > 3) {
            out[o + 3 * n] = kv(s30, r + 3, j);
            out[o + 3 * n + 1] = kv(s31, r + 3, j + 1);
          }
        }
        for (; j < j1; j++) {
          const b0 = j * d;
          for (let t = 0; t < rr; t++) {
            const a = rows[r + t] * d;
            let s = 0;
            if (l1) for (let k = 0; k < d; k++) s += Math.abs(q[a + k] - u[b0 + k]);
            else for (let k = 0; k < d; k++) s += q[a + k] * u[b0 + k];
            out[(r + t) * n + j] = kv(s, r + t, j);
          }
        }
      }
    }
  }
}

/**
 * The reference mean, and the features that are not constant over the reference set (e.g. MNIST's
 * blank border pixels: they centre to exactly 0 and add nothing to x·u, so they stay out of the
 * product; they still count in ‖x‖²).
 */
export function gemmCentre(ref: Matrix): GemmCentre {
  const { data, n, d } = ref;
  const mean = new Float64Array(d);
  const varying: number[] = [];
  for (let k = 0; k < d; k++) {
    let s = 0;
    let constant = true;
    for (let j = 0; j < n; j++) {
      s += data[j * d + k];
      if (data[j * d + k] !== data[k]) constant = false;
    }
    mean[k] = constant ? data[k] : s / n;
    if (!constant) varying.push(k);
  }
  if (varying.length === 0) varying.push(0); // all rows equal: a zero column keeps shapes valid
  return { mean, varying: Int32Array.from(varying) };
}

function squaredNorm(data: Float32Array, offset: number, d: number): number {
  let s = 0;
  for (let k = offset; k < offset + d; k++) s += data[k] * data[k];
  return s;
}

/** Whether the JS paths take the sparse route for this reference set (by its fraction of zeros). */
export function prefersSparse(m: Matrix): boolean {
  let zeros = 0;
  for (let t = 0; t < m.data.length; t++) if (m.data[t] === 0) zeros++;
  return m.data.length > 0 && zeros / m.data.length > SPARSE_ZERO_FRACTION;
}

/** ‖u‖² per row for the Gaussian, ‖u‖₁ for the Laplacian (float64). */
function rowNorms(m: Matrix, kernel: KernelName): Float64Array {
  const { data, n, d } = m;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    if (kernel === 'rbf') s = squaredNorm(data, j * d, d);
    else for (let k = j * d; k < j * d + d; k++) s += Math.abs(data[k]);
    out[j] = s;
  }
  return out;
}
