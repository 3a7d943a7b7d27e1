/**
 * Independent references for the LRP tests: layers as explicit weight matrices (a convolution is
 * unrolled into one by loops) and every rule computed by its formula of docs/methods.md#lrp-rules with plain
 * loops, in double precision. Nothing here uses tensors or the engine.
 */

/** A deterministic pseudo-random generator (mulberry32) giving numbers in [0, 1). */
export { mulberry32 as seededRandom } from '../src/data/random.ts';

/** n numbers uniform in [low, high], rounded to float32 so that engine and reference see the same values. */
export function uniform(rand: () => number, n: number, low: number, high: number): number[] {
  return Array.from({ length: n }, () => Math.fround(low + (high - low) * rand()));
}

/** A linear layer z_j = Σ_i a_i w[i][j] + b[j]; `connected[i][j]` says whether input i feeds output j. */
export interface ExplicitLinear {
  w: number[][];
  b: number[];
  connected: boolean[][];
}

export function explicitDense(w: number[][], b: number[]): ExplicitLinear {
  return { w, b, connected: w.map((row) => row.map(() => true)) };
}

export interface ConvGeometry {
  height: number;
  width: number;
  inChannels: number;
  kernel: number[]; // flat [kh, kw, cin, cout]
  kh: number;
  kw: number;
  outChannels: number;
  strides: [number, number];
  padding: 'same' | 'valid';
}

/** Output size and leading padding along one axis, with TensorFlow's 'same' convention. */
function axisGeometry(size: number, k: number, stride: number, padding: 'same' | 'valid'): [number, number] {
  if (padding === 'valid') return [Math.floor((size - k) / stride) + 1, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + k - size, 0);
  return [out, Math.floor(total / 2)];
}

export function convOutputSize(g: ConvGeometry): [number, number] {
  return [
    axisGeometry(g.height, g.kh, g.strides[0], g.padding)[0],
    axisGeometry(g.width, g.kw, g.strides[1], g.padding)[0],
  ];
}

/** The convolution (NHWC, one sample flattened) as an explicit [H·W·Cin] × [Ho·Wo·Cout] matrix. */
export function unrollConv(g: ConvGeometry, bias: number[]): ExplicitLinear {
  const [ho, padTop] = axisGeometry(g.height, g.kh, g.strides[0], g.padding);
  const [wo, padLeft] = axisGeometry(g.width, g.kw, g.strides[1], g.padding);
  const nIn = g.height * g.width * g.inChannels;
  const nOut = ho * wo * g.outChannels;
  const w = Array.from({ length: nIn }, () => new Array<number>(nOut).fill(0));
  const connected = Array.from({ length: nIn }, () => new Array<boolean>(nOut).fill(false));
  const b = new Array<number>(nOut);
  for (let oy = 0; oy < ho; oy++) {
    for (let ox = 0; ox < wo; ox++) {
      for (let co = 0; co < g.outChannels; co++) {
        const j = (oy * wo + ox) * g.outChannels + co;
        b[j] = bias[co];
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const r = oy * g.strides[0] + ky - padTop;
            const c = ox * g.strides[1] + kx - padLeft;
            if (r < 0 || r >= g.height || c < 0 || c >= g.width) continue;
            for (let ci = 0; ci < g.inChannels; ci++) {
              const i = (r * g.width + c) * g.inChannels + ci;
              w[i][j] = g.kernel[((ky * g.kw + kx) * g.inChannels + ci) * g.outChannels + co];
              connected[i][j] = true;
            }
          }
        }
      }
    }
  }
  return { w, b, connected };
}

export function forwardExplicit(layer: ExplicitLinear, a: number[]): number[] {
  return layer.b.map((bj, j) => a.reduce((z, ai, i) => z + ai * layer.w[i][j], bj));
}

export type RuleSpec =
  | { rule: '0' }
  | { rule: 'epsilon'; epsilon: number }
  | { rule: 'gamma'; gamma: number }
  | { rule: 'alpha-beta'; alpha: number; beta: number }
  | { rule: 'z-plus' }
  /** bounds: one for every input, or one per input value (per-pixel bounds) */
  | { rule: 'z-box'; low: number | number[]; high: number | number[] }
  | { rule: 'w-square' }
  | { rule: 'flat' };

const pos = (v: number) => Math.max(v, 0);
const neg = (v: number) => Math.min(v, 0);
const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

export interface ReferenceRelevance {
  relevance: number[];
  /**
   * Per input, Σ_j |its share of R_j| · κ_j with κ_j = (Σ_i |contribution_ij| + |bias term|) / |z_j|,
   * the condition number of the denominator: float32 evaluation of R_i is exact up to about
   * (a few ulp) · this (cancellation in z_j cannot be avoided by any implementation).
   */
  sensitivity: number[];
}

/**
 * R_i = Σ_j contribution_ij / Σ_i' contribution_i'j · R_j, with each rule's contributions written
 * out as in the table of docs/methods.md#lrp-rules.
 */
export function referenceRelevance(
  spec: RuleSpec,
  layer: ExplicitLinear,
  a: number[],
  R: number[],
): ReferenceRelevance {
  const { w, b, connected } = layer;
  const nIn = a.length;
  const nOut = R.length;
  const relevance = new Array<number>(nIn).fill(0);
  const sensitivity = new Array<number>(nIn).fill(0);
  for (let j = 0; j < nOut; j++) {
    const column = (f: (i: number) => number) => Array.from({ length: nIn }, (_, i) => f(i));
    const sum = (v: number[]) => v.reduce((s, x) => s + x, 0);
    const share = (contrib: number[], den: number, factor = 1, biasTerm = 0) => {
      const kappa = den === 0 ? 0 : (contrib.reduce((s, x) => s + Math.abs(x), 0) + Math.abs(biasTerm)) / Math.abs(den);
      for (let i = 0; i < nIn; i++) {
        const part = factor * ratio(contrib[i], den) * R[j];
        relevance[i] += part;
        sensitivity[i] += Math.abs(part) * kappa;
      }
    };
    switch (spec.rule) {
      case '0': {
        const c = column((i) => a[i] * w[i][j]);
        share(c, sum(c) + b[j], 1, b[j]);
        break;
      }
      case 'epsilon': {
        const c = column((i) => a[i] * w[i][j]);
        const z = sum(c) + b[j];
        share(c, z + spec.epsilon * (z >= 0 ? 1 : -1), 1, b[j]);
        break;
      }
      case 'gamma': {
        const rho = (v: number) => v + spec.gamma * pos(v);
        const c = column((i) => a[i] * rho(w[i][j]));
        share(c, sum(c) + rho(b[j]), 1, rho(b[j]));
        break;
      }
      case 'alpha-beta': {
        const cp = column((i) => pos(a[i] * w[i][j]));
        const cn = column((i) => neg(a[i] * w[i][j]));
        share(cp, sum(cp), spec.alpha);
        share(cn, sum(cn), -spec.beta);
        break;
      }
      case 'z-plus': {
        const c = column((i) => a[i] * pos(w[i][j]));
        share(c, sum(c));
        break;
      }
      case 'z-box': {
        const { low, high } = spec;
        const l = (i: number) => (typeof low === 'number' ? low : low[i]);
        const h = (i: number) => (typeof high === 'number' ? high : high[i]);
        const c = column((i) => a[i] * w[i][j] - l(i) * pos(w[i][j]) - h(i) * neg(w[i][j]));
        share(c, sum(c));
        break;
      }
      case 'w-square': {
        const c = column((i) => w[i][j] ** 2);
        share(c, sum(c));
        break;
      }
      case 'flat': {
        const c = column((i) => (connected[i][j] ? 1 : 0));
        share(c, sum(c));
        break;
      }
    }
  }
  return { relevance, sensitivity };
}
