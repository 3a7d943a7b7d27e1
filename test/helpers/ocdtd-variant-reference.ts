/**
 * OC-DTD variants in plain float64 loops, from the formulas alone (no tensors, no code shared with
 * src/neuralize): a pooled explanation over explicit prototypes and biases, and the nearest point of
 * a convex hull by enumerating every support set (exact for a handful of prototypes).
 */

export interface PooledReference {
  /** the explained output (the pooled value, minus θ for the excess) */
  output: number;
  relevance: number[];
}

const sq = (x: number[], u: number[]) => x.reduce((s, v, i) => s + (v - u[i]) ** 2, 0);

/**
 * Prototypes `u` with biases `b`: h_j = ‖x − u_j‖² + b_j; prototypes at distance 0 left out when
 * `leaveSelfOut` (unless all are); the `k` smallest h kept; soft minimum at temperature `t`
 * (Infinity: hard minimum, first winner); R_j = p_j · (pooled − θ); R_i = Σ_j R_j (x_i − u_ji)²/d_j.
 */
export function pooledReference(
  x: number[],
  u: number[][],
  b: number[],
  options: { t: number; k?: number; leaveSelfOut?: boolean; theta?: number },
): PooledReference {
  let kept = u.map((_, j) => j);
  if (options.leaveSelfOut && kept.some((j) => sq(x, u[j]) > 0)) kept = kept.filter((j) => sq(x, u[j]) > 0);
  const h = (j: number) => sq(x, u[j]) + b[j];
  kept.sort((p, q) => h(p) - h(q));
  if (options.k !== undefined) kept = kept.filter((j) => h(j) <= h(kept[Math.min(options.k!, kept.length) - 1]));
  const m = Math.min(...kept.map(h));
  let weights: number[];
  let pooled: number;
  if (options.t === Infinity) {
    const winner = kept.find((j) => h(j) === m)!;
    weights = kept.map((j) => (j === winner ? 1 : 0));
    pooled = m;
  } else {
    const e = kept.map((j) => Math.exp(-options.t * (h(j) - m)));
    const total = e.reduce((a, v) => a + v, 0);
    weights = e.map((v) => v / total);
    pooled = m - Math.log(total) / options.t;
  }
  const output = pooled - (options.theta ?? 0);
  const relevance = new Array<number>(x.length).fill(0);
  kept.forEach((j, a) => {
    const Rj = weights[a] * output;
    const dj = sq(x, u[j]);
    for (let i = 0; i < x.length; i++) relevance[i] += dj === 0 ? Rj / x.length : (Rj * (x[i] - u[j][i]) ** 2) / dj;
  });
  return { output, relevance };
}

/** Solve the k × k linear system A y = c by Gaussian elimination with partial pivoting. */
function solve(A: number[][], c: number[]): number[] | null {
  const n = c.length;
  const M = A.map((r, i) => [...r, c[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r][col]) > Math.abs(M[pivot][col])) pivot = r;
    if (Math.abs(M[pivot][col]) < 1e-14) return null;
    [M[col], M[pivot]] = [M[pivot], M[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = M[r][col] / M[col][col];
      for (let k = col; k <= n; k++) M[r][k] -= f * M[col][k];
    }
  }
  return M.map((r, i) => r[n] / r[i]);
}

/**
 * The point of the convex hull of `u` nearest to x: over every non-empty support set S, the nearest
 * point of S's affine hull (KKT system with Σ w = 1); the best one with all weights ≥ 0.
 */
export function nearestHullPoint(x: number[], u: number[][]): number[] {
  return nearestHullMixture(x, u).point;
}

/** The nearest hull point and its weights over the prototypes (by the same enumeration). */
export function nearestHullMixture(x: number[], u: number[][]): { point: number[]; weights: number[] } {
  let best: number[] = u[0];
  let bestWeights: number[] = u.map((_, j) => (j === 0 ? 1 : 0));
  let bestDistance = sq(x, u[0]);
  for (let mask = 1; mask < 1 << u.length; mask++) {
    const S = u.map((_, j) => j).filter((j) => mask & (1 << j));
    const D = S.map((j) => u[j].map((v, i) => v - x[i]));
    // minimise ‖Σ w_a D_a‖² with Σ w = 1: [2G 1; 1ᵀ 0] [w; λ] = [0; 1]
    const n = S.length;
    const A = Array.from({ length: n + 1 }, (_, r) =>
      Array.from({ length: n + 1 }, (_, c) => {
        if (r === n && c === n) return 0;
        if (r === n || c === n) return 1;
        return 2 * D[r].reduce((s, v, i) => s + v * D[c][i], 0);
      }),
    );
    const y = solve(A, [...new Array<number>(n).fill(0), 1]);
    if (!y || y.slice(0, n).some((w) => w < -1e-12)) continue;
    const point = x.map((_, i) => S.reduce((s, j, a) => s + y[a] * u[j][i], 0));
    const distance = sq(x, point);
    if (distance < bestDistance - 1e-15) {
      best = point;
      bestWeights = u.map((_, j) => (S.includes(j) ? y[S.indexOf(j)] : 0));
      bestDistance = distance;
    }
  }
  return { point: best, weights: bestWeights };
}
