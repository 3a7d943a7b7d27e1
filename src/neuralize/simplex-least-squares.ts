/**
 * The nearest point of a convex hull: weights w on the simplex (w ≥ 0, Σ w = 1) minimising
 * wᵀ M w, where M_ab = (u_a − x)·(u_b − x) is the Gram matrix of k prototypes seen from x. Then
 * Σ_a w_a u_a is the point of their hull nearest to x. Solved in float64 by accelerated projected
 * gradient (FISTA), small k (tens) only.
 */

/** Euclidean projection of v onto the simplex {w ≥ 0, Σ w = 1} (sort-based, exact). */
export function projectOntoSimplex(v: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(v).sort().reverse();
  let cumulative = 0;
  let shift = 0;
  for (let r = 0; r < sorted.length; r++) {
    cumulative += sorted[r];
    const t = (cumulative - 1) / (r + 1);
    if (sorted[r] - t > 0) shift = t;
  }
  return Float64Array.from(v, (x) => Math.max(0, x - shift));
}

/** Largest eigenvalue of the symmetric positive semi-definite k × k matrix M (power iteration). */
function largestEigenvalue(M: Float64Array, k: number): number {
  let v: Float64Array = new Float64Array(k).fill(1 / Math.sqrt(k));
  let lambda = 0;
  for (let it = 0; it < 50; it++) {
    const next = new Float64Array(k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) next[a] += M[a * k + b] * v[b];
    const norm = Math.hypot(...next);
    if (norm === 0) return 0;
    lambda = norm;
    v = next.map((x) => x / norm);
  }
  return lambda;
}

const MAX_ITERATIONS = 5000;
const TOLERANCE = 1e-13;

/** The simplex weights minimising wᵀ M w (M: k × k row-major, symmetric positive semi-definite). */
export function simplexLeastSquares(M: Float64Array, k: number): Float64Array {
  let w: Float64Array = new Float64Array(k).fill(1 / k);
  // the power iteration underestimates λ_max: a margin keeps the step 1/L stable
  const L = 1.05 * largestEigenvalue(M, k);
  if (!(L > 0)) return w;
  let y = w;
  let t = 1;
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const gradient = new Float64Array(k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) gradient[a] += 2 * M[a * k + b] * y[b];
    const next = projectOntoSimplex(y.map((v, a) => v - gradient[a] / (2 * L)));
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    let change = 0;
    for (let a = 0; a < k; a++) change = Math.max(change, Math.abs(next[a] - w[a]));
    y = next.map((v, a) => v + ((t - 1) / tNext) * (v - w[a]));
    w = next;
    t = tNext;
    if (change < TOLERANCE) break;
  }
  return w;
}
