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
 *
 * solveOneClass is the outer loop; SmoState holds the variables and the named steps: working-set
 * selection, the update of the pair, the gradient update, shrinking and unshrinking, and ρ
 * (docs/methods.md#smo-solver, #shrinking, #rho, #solver-and-scale).
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
  const shrinking = options.shrinking ?? true;
  const maxIter = options.maxIter ?? Math.max(10_000_000, l > 2147483647 / 100 ? 2147483647 : 100 * l);
  const smo = new SmoState(Q, options.nu, options.tol);

  let iter = 0;
  let counter = Math.min(l, 1000) + 1;
  while (iter < maxIter) {
    if (--counter === 0) {
      counter = Math.min(l, 1000);
      if (shrinking) smo.shrink();
    }
    if (!smo.selectWorkingSet()) {
      // optimal on the active set: check again on all variables
      smo.unshrink();
      if (!smo.selectWorkingSet()) break;
      counter = 1; // shrink again at the next iteration
    }
    iter++;
    smo.updatePair();
  }
  const converged = iter < maxIter;
  if (!converged) smo.unshrink();
  return { alpha: smo.alpha, rho: smo.rho(), objective: smo.objective(), iterations: iter, converged };
}

/** The solver's variables and its steps; the working set is (wsI, wsJ) after selectWorkingSet. */
class SmoState {
  readonly l: number;
  readonly alpha: Float64Array;
  /** LOWER (α = 0), UPPER (α = 1) or FREE */
  private readonly status: Uint8Array;
  /** G = Qα */
  private readonly G: Float64Array;
  /** Σ_{α_i = 1} Q_i: lets the gradient of shrunk variables be rebuilt from the free α's alone */
  private readonly Gbar: Float64Array;
  /** active[0, activeSize) are the variables the solver works on; the rest are shrunk */
  private readonly active: Int32Array;
  private activeSize: number;
  /** set once the solution is near enough for the first full rebuild (libsvm's `unshrink`) */
  private unshrunkOnce = false;
  private wsI = -1;
  private wsJ = -1;
  /** rows computed together on a cache miss; never so many that they push each other out of a small cache */
  private readonly prefetchRows: number;

  constructor(
    private readonly Q: KernelRows,
    nu: number,
    private readonly tol: number,
  ) {
    const l = Q.n;
    this.l = l;
    this.alpha = initialAlpha(l, nu);
    this.status = new Uint8Array(l);
    for (let i = 0; i < l; i++) this.setStatus(i);
    this.G = new Float64Array(l);
    this.Gbar = new Float64Array(l);
    this.active = Int32Array.from({ length: l }, (_, i) => i);
    this.activeSize = l;
    this.prefetchRows = Math.max(1, Math.min(PREFETCH_ROWS, Math.floor(Q.capacity / 4)));
    this.initGradient();
  }

  private setStatus(i: number): void {
    const a = this.alpha[i];
    this.status[i] = a >= 1 ? UPPER : a <= 0 ? LOWER : FREE;
  }

  /** G = Qα and Gbar from the rows of the non-zero α's. */
  private initGradient(): void {
    const { l, alpha, status, G, Gbar } = this;
    const nonzero: number[] = [];
    for (let i = 0; i < l; i++) if (alpha[i] > 0) nonzero.push(i);
    this.Q.forEach(nonzero, (i, row) => {
      const a = alpha[i];
      for (let k = 0; k < l; k++) G[k] += a * row[k];
      if (status[i] === UPPER) for (let k = 0; k < l; k++) Gbar[k] += row[k];
    });
  }

  /**
   * Second-order working-set selection: i maximises −G over α < 1, j minimises the decrease
   * −(G_i − G_j)²/(2 − 2K_ij) over α > 0 with G_j > G_i. False when max_{α>0} G − min_{α<1} G < tol.
   */
  selectWorkingSet(): boolean {
    const { active, activeSize, status, G, Q } = this;
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
      this.prefetch(
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
    if (gmax + gmax2 < this.tol || jBest === -1) return false;
    this.wsI = iBest;
    this.wsJ = jBest;
    return true;
  }

  /** Compute row `first` with the uncached active rows of highest `score` among `eligible`. */
  private prefetch(first: number, eligible: (k: number) => boolean, score: (k: number) => number): void {
    const batch = this.prefetchRows;
    if (batch === 1) return;
    const { active, activeSize, Q } = this;
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
  }

  /** Minimise over the working pair (α_i + α_j fixed, both kept in [0, 1]), then update G and Gbar. */
  updatePair(): void {
    const { alpha, status, G, Q } = this;
    const i = this.wsI;
    const j = this.wsJ;
    if (!Q.has(j))
      this.prefetch(
        j,
        (k) => status[k] !== LOWER,
        (k) => G[k],
      );
    const Qi = Q.get(i);
    const Qj = Q.get(j);
    const oldI = alpha[i];
    const oldJ = alpha[j];
    const [ai, aj] = clippedPair(oldI, oldJ, G[i], G[j], Qi[j]);
    alpha[i] = ai;
    alpha[j] = aj;
    this.updateGradient(Qi, ai - oldI, Qj, aj - oldJ);
    const wasUpperI = status[i] === UPPER;
    const wasUpperJ = status[j] === UPPER;
    this.setStatus(i);
    this.setStatus(j);
    this.updateGbar(i, wasUpperI, Qi);
    this.updateGbar(j, wasUpperJ, Qj);
  }

  /** G += ΔαI·Q_i + ΔαJ·Q_j on the active variables. */
  private updateGradient(Qi: Float32Array, dI: number, Qj: Float32Array, dJ: number): void {
    const { active, activeSize, G } = this;
    for (let t = 0; t < activeSize; t++) {
      const k = active[t];
      G[k] += Qi[k] * dI + Qj[k] * dJ;
    }
  }

  /** Keep Gbar = Σ_{α=1} Q when variable i entered or left the upper bound. */
  private updateGbar(i: number, wasUpper: boolean, Qi: Float32Array): void {
    if (wasUpper === (this.status[i] === UPPER)) return;
    const { l, Gbar } = this;
    const sign = wasUpper ? -1 : 1;
    for (let k = 0; k < l; k++) Gbar[k] += sign * Qi[k];
  }

  /**
   * libsvm's shrinking: a variable at a bound whose gradient keeps it out of every working set
   * leaves the active set (a stable partition: kept ones first). Near the solution (within 10·tol)
   * everything is restored once first, so that the final steps see all variables.
   */
  shrink(): void {
    const { active, status, G } = this;
    let gmax1 = -Infinity; // max −G over α < 1
    let gmax2 = -Infinity; // max G over α > 0
    for (let t = 0; t < this.activeSize; t++) {
      const k = active[t];
      if (status[k] !== UPPER && -G[k] >= gmax1) gmax1 = -G[k];
      if (status[k] !== LOWER && G[k] >= gmax2) gmax2 = G[k];
    }
    if (!this.unshrunkOnce && gmax1 + gmax2 <= this.tol * 10) {
      this.unshrunkOnce = true;
      this.unshrink();
    }
    const shrunk: number[] = [];
    let w = 0;
    for (let t = 0; t < this.activeSize; t++) {
      const k = active[t];
      const out = status[k] === UPPER ? -G[k] > gmax1 : status[k] === LOWER ? G[k] > gmax2 : false;
      if (out) shrunk.push(k);
      else active[w++] = k;
    }
    for (let s = 0; s < shrunk.length; s++) active[w + s] = shrunk[s];
    this.activeSize = w;
  }

  /** Rebuild the gradient of the shrunk variables (Gbar plus the free α's rows) and make all active. */
  unshrink(): void {
    const { l, active, activeSize, status, alpha, G, Gbar, Q } = this;
    if (activeSize === l) return;
    for (let t = activeSize; t < l; t++) G[active[t]] = Gbar[active[t]];
    for (let t = 0; t < activeSize; t++) {
      const i = active[t];
      if (status[i] !== FREE) continue;
      const row = Q.get(i);
      const a = alpha[i];
      for (let s = activeSize; s < l; s++) G[active[s]] += a * row[active[s]];
    }
    this.activeSize = l;
  }

  /** ½ αᵀQα = ½ αᵀG (all variables active). */
  objective(): number {
    let objective = 0;
    for (let k = 0; k < this.l; k++) objective += this.alpha[k] * this.G[k];
    return objective / 2;
  }

  rho(): number {
    return calculateRho(this.G, this.status);
  }
}

/** libsvm's start: the first ⌊νl⌋ α's at 1, the next one νl − ⌊νl⌋, the rest 0. */
function initialAlpha(l: number, nu: number): Float64Array {
  const alpha = new Float64Array(l);
  const nUpper = Math.floor(nu * l);
  for (let i = 0; i < nUpper; i++) alpha[i] = 1;
  if (nUpper < l) alpha[nUpper] = nu * l - nUpper;
  return alpha;
}

/**
 * The two-variable step: α_i − δ, α_j + δ with δ = (G_i − G_j)/(2 − 2K_ij) (τ when the curvature is
 * not positive), clipped to the box along the line α_i + α_j = const, as libsvm does.
 */
function clippedPair(oldI: number, oldJ: number, gi: number, gj: number, kij: number): [number, number] {
  let quad = 2 - 2 * kij;
  if (quad <= 0) quad = TAU;
  const delta = (gi - gj) / quad;
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
  return [ai, aj];
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
