/**
 * The sample matrix the SVM works on: n rows of d float32 values, row-major. Inputs may also be
 * given as an array of rows (number[][] or Float32Array[]); both are checked for shape and for
 * finite values here, at the boundary, so the numeric code below never sees NaN or Inf.
 */
import { UserError } from '../errors.ts';

export interface Matrix {
  data: Float32Array;
  n: number;
  d: number;
}

export type MatrixInput = Matrix | ArrayLike<number>[];

function isMatrix(x: unknown): x is Matrix {
  return typeof x === 'object' && x !== null && 'data' in x && 'n' in x && 'd' in x;
}

/** Check and convert `x`; `what` names the data in error messages (e.g. 'training data'). */
export function toMatrix(x: MatrixInput, what: string): Matrix {
  let m: Matrix;
  if (isMatrix(x)) {
    const { data, n, d } = x;
    if (!(data instanceof Float32Array)) throw new UserError(`${what}: 'data' must be a Float32Array`);
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1 || data.length !== n * d)
      throw new UserError(`${what}: data has ${data.length} values, which is not n × d = ${n} × ${d}`);
    m = x;
  } else if (Array.isArray(x)) {
    const n = x.length;
    const d = n > 0 ? x[0].length : 0;
    if (n > 0 && !(d >= 1)) throw new UserError(`${what}: row 0 is empty`);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = x[i];
      if (!row || row.length !== d)
        throw new UserError(`${what}: row ${i} has ${row ? row.length : 0} values, expected ${d} like row 0`);
      for (let k = 0; k < d; k++) data[i * d + k] = row[k];
    }
    m = { data, n, d };
  } else {
    throw new UserError(`${what}: expected {data: Float32Array, n, d} or an array of rows`);
  }
  checkFinite(m, what);
  return m;
}

function checkFinite(m: Matrix, what: string): void {
  const { data, d } = m;
  for (let t = 0; t < data.length; t++) {
    if (!Number.isFinite(data[t])) {
      throw new UserError(
        `${what}: row ${Math.floor(t / d)}, column ${t % d} is ${data[t]}; all features must be finite numbers`,
      );
    }
  }
}

/** Copy of the rows `idx` of `m`. */
export function selectRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const { d } = m;
  const out = new Float32Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) out.set(m.data.subarray(idx[r] * d, idx[r] * d + d), r * d);
  return { data: out, n: idx.length, d };
}
