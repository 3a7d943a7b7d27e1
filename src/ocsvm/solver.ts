/**
 * SMO solver of the one-class SVM dual (libsvm's ν-formulation):
 *
 *   minimise ½ αᵀQα  subject to  0 ≤ α_i ≤ 1,  Σ α_i = ν·l.
 *
 * It follows libsvm's Solver wherever that decides the result: the initial point (first ⌊νl⌋
 * α's at 1, the next one νl−⌊νl⌋), second-order working-set selection (Fan, Chen & Lin 2005) with
 * τ = 1e-12 for non-positive curvature, the stopping rule max_{α>0} G − min_{α<1} G < tol, the
 * two-variable update with its clipping, the iteration limit max(10⁷, 100·l), and ρ = mean of G over
 * free α's (else the midpoint of the bounds). Shrinking follows the same rule as libsvm (a bound
 * variable that cannot enter the next working set leaves the active set; everything is restored and
 * the gradient rebuilt before the final check), with our own bookkeeping: an index list instead of
 * swapping rows, and full-length cached rows (see RowCache).
 */

export interface KernelRows {
  readonly n: number;
  /** row i of Q, all n entries */
  get(i: number): Float32Array;
  /** whether row i is at hand without computation */
  has(i: number): boolean;
  /** how many rows can be kept at once */
  readonly capacity: number;
  /** visit many rows, computing missing ones in batches */
  forEach(idx: ArrayLike<number>, visit: (i: number, row: Float32Array) => void): void;
}

export interface SolverOptions {
  nu: number;
  /** stopping tolerance (libsvm's eps) */
  tol: number;
  /** default max(10⁷, 100·l) like libsvm */
  maxIter?: number;
  /** default true */
  shrinking?: boolean;
}

export interface SolverResult {
  alpha: Float64Array;
  rho: number;
  /** ½ αᵀQα at the solution */
  objective: number;
  iterations: number;
  /** false when the iteration limit stopped the solver */
  converged: boolean;
}

const TAU = 1e-12;
/**
 * A missing row is computed together with this many − 1 likely successors: the next most violating
 * uncached candidates on the same side. A block of rows costs little more than one (the pass over
 * the data dominates), and successive working sets mostly walk down that list.
 */
const PREFETCH_ROWS = 8;
const LOWER = 0;
const UPPER = 1;
const FREE = 2;

export function solveOneClass(Q: KernelRows, options: SolverOptions): SolverResult {
  const l = Q.n;
  const { nu, tol } = options;
  const shrinking = options.shrinking ?? true;
  const maxIter = options.maxIter ?? Math.max(10_000_000, l > 2147483647 / 100 ? 2147483647 : 100 * l);

  const alpha = new Float64Array(l);
  const nUpper = Math.floor(nu * l);
  for (let i = 0; i < nUpper; i++) alpha[i] = 1;
  if (nUpper < l) alpha[nUpper] = nu * l - nUpper;

  const status = new Uint8Array(l);
  const setStatus = (i: number): void => {
    status[i] = alpha[i] >= 1 ? UPPER : alpha[i] <= 0 ? LOWER : FREE;
  };
  for (let i = 0; i < l; i++) setStatus(i);

  // G = Qα; Gbar = Σ_{α_i = 1} Q_i (lets shrunk gradients be rebuilt from the free α's alone)
  const G = new Float64Array(l);
  const Gbar = new Float64Array(l);
  const nonzero: number[] = [];
  for (let i = 0; i < l; i++) if (alpha[i] > 0) nonzero.push(i);
  Q.forEach(nonzero, (i, row) => {
    const a = alpha[i];
    for (let k = 0; k < l; k++) G[k] += a * row[k];
    if (status[i] === UPPER) for (let k = 0; k < l; k++) Gbar[k] += row[k];
  });

  const active = new Int32Array(l);
  for (let i = 0; i < l; i++) active[i] = i;
  let activeSize = l;
  let unshrink = false;

  const reconstructGradient = (): void => {
    if (activeSize === l) return;
    for (let t = activeSize; t < l; t++) G[active[t]] = Gbar[active[t]];
    for (let t = 0; t < activeSize; t++) {
      const i = active[t];
      if (status[i] !== FREE) continue;
      const row = Q.get(i);
      const a = alpha[i];
      for (let s = activeSize; s < l; s++) G[active[s]] += a * row[active[s]];
    }
  };

  // working set (i, j) or null when optimal within tol
  let wsI = -1;
  let wsJ = -1;
  const selectWorkingSet = (): boolean => {
    let gmax = -Infinity;
    let iBest = -1;
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      if (status[k] !== UPPER && -G[k] >= gmax) {
        gmax = -G[k];
        iBest = k;
      }
    }
    let gmax2 = -Infinity;
    let jBest = -1;
    let objMin = Infinity;
    if (iBest >= 0 && !Q.has(iBest))
      prefetch(
        iBest,
        (k) => status[k] !== UPPER,
        (k) => -G[k],
      );
    const Qi = iBest >= 0 ? Q.get(iBest) : null;
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      if (status[k] === LOWER) continue;
      const gk = G[k];
      if (gk >= gmax2) gmax2 = gk;
      const gradDiff = gmax + gk;
      if (gradDiff > 0 && Qi) {
        const quad = 2 - 2 * Qi[k]; // K_ii + K_kk − 2K_ik with K_ii = K_kk = 1
        const obj = -(gradDiff * gradDiff) / (quad > 0 ? quad : TAU);
        if (obj <= objMin) {
          objMin = obj;
          jBest = k;
        }
      }
    }
    if (gmax + gmax2 < tol || jBest === -1) return false;
    wsI = iBest;
    wsJ = jBest;
    return true;
  };

  /** compute row `first` with the uncached active rows of highest `score` among `eligible` */
  // never prefetch so many rows that they push each other out of a small cache
  const batch = Math.max(1, Math.min(PREFETCH_ROWS, Math.floor(Q.capacity / 4)));
  const prefetch = (first: number, eligible: (k: number) => boolean, score: (k: number) => number): void => {
    if (batch === 1) return;
    const picks: number[] = [];
    const scores: number[] = [];
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      if (k === first || !eligible(k) || Q.has(k)) continue;
      const sk = score(k);
      if (picks.length === batch - 1 && sk <= scores[picks.length - 1]) continue;
      let p = Math.min(picks.length, batch - 2);
      if (picks.length < batch - 1) {
        picks.push(k);
        scores.push(sk);
        p = picks.length - 1;
      }
      while (p > 0 && scores[p - 1] < sk) {
        picks[p] = picks[p - 1];
        scores[p] = scores[p - 1];
        p--;
      }
      picks[p] = k;
      scores[p] = sk;
    }
    Q.forEach([first, ...picks], () => {});
  };

  const beShrunk = (k: number, gmax1: number, gmax2: number): boolean =>
    status[k] === UPPER ? -G[k] > gmax1 : status[k] === LOWER ? G[k] > gmax2 : false;

  const doShrinking = (): void => {
    let gmax1 = -Infinity; // max −G over α < 1
    let gmax2 = -Infinity; // max G over α > 0
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      if (status[k] !== UPPER && -G[k] >= gmax1) gmax1 = -G[k];
      if (status[k] !== LOWER && G[k] >= gmax2) gmax2 = G[k];
    }
    if (!unshrink && gmax1 + gmax2 <= tol * 10) {
      unshrink = true;
      reconstructGradient();
      activeSize = l;
    }
    // stable partition: kept indices first, shrunk ones after them
    const shrunk: number[] = [];
    let w = 0;
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      if (beShrunk(k, gmax1, gmax2)) shrunk.push(k);
      else active[w++] = k;
    }
    for (let s = 0; s < shrunk.length; s++) active[w + s] = shrunk[s];
    activeSize = w;
  };

  let iter = 0;
  let counter = Math.min(l, 1000) + 1;
  let converged = true;
  while (iter < maxIter) {
    if (--counter === 0) {
      counter = Math.min(l, 1000);
      if (shrinking) doShrinking();
    }
    if (!selectWorkingSet()) {
      reconstructGradient();
      activeSize = l;
      if (!selectWorkingSet()) break;
      counter = 1; // shrink again at the next iteration
    }
    iter++;
    const i = wsI;
    const j = wsJ;
    if (!Q.has(j))
      prefetch(
        j,
        (k) => status[k] !== LOWER,
        (k) => G[k],
      );
    const Qi = Q.get(i);
    const Qj = Q.get(j);
    const oldI = alpha[i];
    const oldJ = alpha[j];
    let quad = 2 - 2 * Qi[j];
    if (quad <= 0) quad = TAU;
    const delta = (G[i] - G[j]) / quad;
    const sum = oldI + oldJ;
    let ai = oldI - delta;
    let aj = oldJ + delta;
    if (sum > 1) {
      if (ai > 1) {
        ai = 1;
        aj = sum - 1;
      }
    } else if (aj < 0) {
      aj = 0;
      ai = sum;
    }
    if (sum > 1) {
      if (aj > 1) {
        aj = 1;
        ai = sum - 1;
      }
    } else if (ai < 0) {
      ai = 0;
      aj = sum;
    }
    alpha[i] = ai;
    alpha[j] = aj;

    const dI = ai - oldI;
    const dJ = aj - oldJ;
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      G[k] += Qi[k] * dI + Qj[k] * dJ;
    }

    const wasUpperI = status[i] === UPPER;
    const wasUpperJ = status[j] === UPPER;
    setStatus(i);
    setStatus(j);
    if (wasUpperI !== (status[i] === UPPER)) {
      const sign = wasUpperI ? -1 : 1;
      for (let k = 0; k < l; k++) Gbar[k] += sign * Qi[k];
    }
    if (wasUpperJ !== (status[j] === UPPER)) {
      const sign = wasUpperJ ? -1 : 1;
      for (let k = 0; k < l; k++) Gbar[k] += sign * Qj[k];
    }
  }
  if (iter >= maxIter) {
    reconstructGradient();
    activeSize = l;
    converged = false;
  }

  let objective = 0;
  for (let k = 0; k < l; k++) objective += alpha[k] * G[k];
  return { alpha, rho: calculateRho(G, status), objective: objective / 2, iterations: iter, converged };
}

/** libsvm's ρ: mean G over free α's, else the midpoint of [max G over α=1, min G over α=0]. */
function calculateRho(G: Float64Array, status: Uint8Array): number {
  let ub = Infinity;
  let lb = -Infinity;
  let nFree = 0;
  let sumFree = 0;
  for (let k = 0; k < G.length; k++) {
    if (status[k] === UPPER) lb = Math.max(lb, G[k]);
    else if (status[k] === LOWER) ub = Math.min(ub, G[k]);
    else {
      nFree++;
      sumFree += G[k];
    }
  }
  if (nFree > 0) return sumFree / nFree;
  // ν = 1 puts every α at 1: libsvm's midpoint would be +∞; the one finite bound is used instead
  if (ub === Infinity) return lb;
  if (lb === -Infinity) return ub;
  return (ub + lb) / 2;
}
