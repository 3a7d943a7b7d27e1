/**
 * Model-agnostic explanations of a scalar-per-sample function f: [N, ...shape] → [N] (a class
 * logit, the outlierness of a neuralized SVM, ...), built only from f and its input gradient
 * (docs/methods.md#gradient-methods): sensitivity analysis, simple Taylor, gradient × input, integrated gradients and
 * SmoothGrad. Every method is batched over the N samples; the many-point methods (IG, SmoothGrad)
 * evaluate their interpolation points / noisy copies in chunks of at most `batchSize` inputs.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { oneHotMask } from './one-hot.ts';
import {
  GRADIENT_METHOD_DESCRIPTIONS,
  GRADIENT_METHOD_NAMES,
  SMOOTHGRAD_VARIANTS,
  type GradientMethodName,
  type SmoothGradVariant,
} from './method-names.ts';

/**
 * Maps a batch [M, ...shape] to one value per sample, [M]. Samples must not interact. When x has
 * N samples, every batch f is called with holds k·N rows: k copies (shifted, noisy, interpolated)
 * of the N samples in their order, so that row r belongs to sample r mod N — which lets f depend
 * on the sample (see selectPerSample).
 */
export type ScalarFunction = (x: tf.Tensor) => tf.Tensor;

export {
  GRADIENT_METHOD_NAMES,
  GRADIENT_METHOD_DESCRIPTIONS,
  SMOOTHGRAD_VARIANTS,
  type GradientMethodName,
  type SmoothGradVariant,
};

export interface GradientOptions {
  /** ig: number m of interpolation points (default 32) */
  steps?: number;
  /** ig: x̄ — a constant, a tensor of one sample's shape, or one per sample [N, ...] (default 0) */
  baseline?: number | tf.Tensor;
  /** ig, smoothgrad: at most this many inputs per forward/backward pass (default 256) */
  batchSize?: number;
  /** smoothgrad: number n of noisy copies (default 32) */
  samples?: number;
  /** smoothgrad: σ as a fraction of each sample's value range x_max − x_min (default 0.1) */
  noiseLevel?: number;
  /** smoothgrad: average the gradient, its square, or gradient × input (default plain) */
  variant?: SmoothGradVariant;
  /** smoothgrad: seed of the Gaussian noise (default 0) */
  seed?: number;
  /** taylor: function evaluations spent on the root search per batch (default 40) */
  maxIterations?: number;
}

export interface GradientExplanation {
  method: GradientMethodName;
  /** relevance per input value, same shape as x; the caller owns (and disposes) it */
  relevance: tf.Tensor;
  /** f(x) per sample */
  output: Float32Array;
  /** taylor: f(x̃) at the root point found, per sample (0 for an exact root) */
  rootResidual?: Float32Array;
  /** ig: |Σ_i R_i − (f(x) − f(x̄))| per sample */
  completenessError?: Float32Array;
}

const OPTION_NAMES: ReadonlyArray<keyof GradientOptions> = [
  'steps',
  'baseline',
  'batchSize',
  'samples',
  'noiseLevel',
  'variant',
  'seed',
  'maxIterations',
];

const DEFAULTS = {
  steps: 32,
  batchSize: 256,
  samples: 32,
  noiseLevel: 0.1,
  variant: 'plain',
  seed: 0,
  maxIterations: 40,
} as const;

export function isGradientMethod(name: string): name is GradientMethodName {
  return (GRADIENT_METHOD_NAMES as readonly string[]).includes(name);
}

/** A method name from the user (e.g. a --method list entry), checked against the registry. */
export function parseGradientMethod(name: string, where = '--method'): GradientMethodName {
  if (isGradientMethod(name)) return name;
  throw new UserError(`${where}: unknown gradient method '${name}'; allowed: ${GRADIENT_METHOD_NAMES.join(', ')}`);
}

function checkInteger(value: number | undefined, name: string, min: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min) {
    throw new UserError(`option ${name}: ${value} is not allowed; it must be an integer ≥ ${min}`);
  }
}

/** Rejects unknown option names and out-of-range values, saying what is allowed. */
export function validateGradientOptions(options: GradientOptions): void {
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new UserError(`unknown gradient option '${key}'; allowed: ${OPTION_NAMES.join(', ')}`);
    }
  }
  checkInteger(options.steps, 'steps', 1);
  checkInteger(options.batchSize, 'batchSize', 1);
  checkInteger(options.samples, 'samples', 1);
  checkInteger(options.maxIterations, 'maxIterations', 1);
  checkInteger(options.seed, 'seed', 0);
  const level = options.noiseLevel;
  if (level !== undefined && !(Number.isFinite(level) && level >= 0)) {
    throw new UserError(`option noiseLevel: ${level} is not allowed; it must be a finite number ≥ 0`);
  }
  if (options.variant !== undefined && !(SMOOTHGRAD_VARIANTS as readonly string[]).includes(options.variant)) {
    throw new UserError(
      `option variant: unknown SmoothGrad variant '${options.variant}'; allowed: ${SMOOTHGRAD_VARIANTS.join(', ')}`,
    );
  }
  if (typeof options.baseline === 'number' && !Number.isFinite(options.baseline)) {
    throw new UserError(`option baseline: ${options.baseline} is not a finite number`);
  }
}

/**
 * A per-pixel map from a per-value one: [N, H, W, C] → [N, H, W] (sum over channels); tensors of
 * lower rank (already per pixel, or vectors) are returned unchanged. Use inside tf.tidy.
 */
export function sumChannels(relevance: tf.Tensor): tf.Tensor {
  return relevance.rank === 4 ? tf.sum(relevance, -1) : relevance;
}

/**
 * Row r of `outputs` [k·N, C] at column classes[r mod N]: the class logit per sample for the
 * batches a ScalarFunction receives. Use inside tf.tidy.
 */
export function selectPerSample(outputs: tf.Tensor, classes: Int32Array): tf.Tensor {
  const [rows, width] = outputs.shape;
  const n = classes.length;
  if (outputs.rank !== 2 || rows % n !== 0) {
    throw new Error(`selectPerSample: outputs [${outputs.shape}] are not k copies of ${n} samples × classes`);
  }
  const mask = oneHotMask(classes, width as number);
  return tf.sum(tf.mul(outputs, tf.tile(mask, [rows / n, 1])), 1);
}

/** Sum over every axis but the first: [N, ...] → [N]. */
function sumPerSample(t: tf.Tensor): tf.Tensor {
  const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
  return axes.length ? tf.sum(t, axes) : t;
}

/** f, checked to give one value per sample and reshaped to [N]. */
function perSample(f: ScalarFunction): ScalarFunction {
  return (x) => {
    const y = f(x);
    const n = x.shape[0];
    if (y.size !== n) {
      throw new Error(
        `the explained function must return one value per sample: got shape [${y.shape}] for ${n} samples`,
      );
    }
    return y.rank === 1 ? y : tf.reshape(y, [n]);
  };
}

/** ∂(Σ_n f(x_n))/∂x = the per-sample input gradients, since samples do not interact. */
function inputGradient(f: ScalarFunction, x: tf.Tensor): tf.Tensor {
  return tf.grad((z: tf.Tensor) => tf.sum(f(z)))(x);
}

/** A value per sample, broadcastable against [N, ...shape]. */
function perSampleColumn(values: tf.Tensor | Float32Array, rank: number): tf.Tensor {
  const v = values instanceof Float32Array ? tf.tensor1d(values) : values;
  return tf.reshape(v, [v.shape[0], ...Array<number>(rank - 1).fill(1)]);
}

/** Chunks [start, end) of `total` items with at most `size` per chunk. */
function* chunks(total: number, size: number): Generator<[number, number]> {
  for (let start = 0; start < total; start += size) yield [start, Math.min(total, start + size)];
}

/**
 * Accumulates Σ_k term(k) over index chunks without keeping the chunks' intermediates alive:
 * each chunk runs in its own tidy and only the running sum survives.
 */
function accumulate(total: number, size: number, term: (start: number, end: number) => tf.Tensor): tf.Tensor {
  let acc: tf.Tensor | null = null;
  for (const [start, end] of chunks(total, size)) {
    const prev: tf.Tensor | null = acc;
    acc = tf.tidy(() => (prev ? tf.add(prev, term(start, end)) : term(start, end)));
    prev?.dispose();
  }
  return acc!;
}

/**
 * Gradients at c batches of points stacked as [c, N, ...shape], summed over the c batches.
 * `transform` maps each gradient (with its points) before the sum — e.g. squaring.
 */
function summedGradients(
  f: ScalarFunction,
  points: tf.Tensor,
  transform: (grad: tf.Tensor) => tf.Tensor = (g) => g,
): tf.Tensor {
  const [c, ...rest] = points.shape;
  const flat = tf.reshape(points, [c * rest[0], ...rest.slice(1)]);
  const g = tf.reshape(inputGradient(f, flat), points.shape);
  return tf.sum(transform(g), 0);
}

function resolveBaseline(x: tf.Tensor, baseline: number | tf.Tensor | undefined): tf.Tensor {
  if (baseline === undefined || typeof baseline === 'number') return tf.fill(x.shape, baseline ?? 0);
  const sample = x.shape.slice(1);
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  if (same(baseline.shape, x.shape)) return baseline;
  if (same(baseline.shape, sample)) return tf.broadcastTo(tf.expandDims(baseline, 0), x.shape);
  throw new UserError(
    `option baseline: shape [${baseline.shape}] does not fit the input [${x.shape}]; ` +
      `allowed: a number, one sample [${sample}] or one per sample [${x.shape}]`,
  );
}

function integratedGradients(f: ScalarFunction, x: tf.Tensor, options: GradientOptions) {
  const m = options.steps ?? DEFAULTS.steps;
  const n = x.shape[0];
  const alphasPerChunk = Math.max(1, Math.floor((options.batchSize ?? DEFAULTS.batchSize) / n));
  const base = resolveBaseline(x, options.baseline);
  const diff = tf.sub(x, base);
  // Right Riemann sum over α_k = k/m, k = 1..m, a chunk of α values per pass.
  const gradSum = accumulate(m, alphasPerChunk, (start, end) => {
    const alphas = Array.from({ length: end - start }, (_, j) => (start + j + 1) / m);
    const a = tf.reshape(tf.tensor1d(alphas), [alphas.length, ...Array<number>(x.rank).fill(1)]);
    return summedGradients(f, tf.add(tf.expandDims(base, 0), tf.mul(a, tf.expandDims(diff, 0))));
  });
  const relevance = tf.mul(diff, tf.div(gradSum, m));
  gradSum.dispose();
  const delta = tf.sub(f(x), f(base));
  const completenessError = tf.abs(tf.sub(sumPerSample(relevance), delta));
  return { relevance, completenessError: completenessError.dataSync() as Float32Array };
}

/**
 * The standard normal noise of SmoothGrad's noisy copy number `copy` (before scaling by σ): one
 * seed per copy, so that it does not depend on how copies are chunked; never seed 0, which tfjs
 * reads as "no seed".
 */
export function smoothGradNoise(shape: readonly number[], copy: number, seed: number = DEFAULTS.seed): tf.Tensor {
  return tf.randomNormal([...shape], 0, 1, 'float32', seed * 1_000_003 + copy + 1);
}

function smoothGrad(f: ScalarFunction, x: tf.Tensor, options: GradientOptions): tf.Tensor {
  const copies = options.samples ?? DEFAULTS.samples;
  const variant = options.variant ?? DEFAULTS.variant;
  const seed = options.seed ?? DEFAULTS.seed;
  const n = x.shape[0];
  const copiesPerChunk = Math.max(1, Math.floor((options.batchSize ?? DEFAULTS.batchSize) / n));
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
  const range = axes.length ? tf.sub(tf.max(x, axes, true), tf.min(x, axes, true)) : tf.zerosLike(x);
  const sigma = tf.mul(range, options.noiseLevel ?? DEFAULTS.noiseLevel);
  const transform = (g: tf.Tensor) => (variant === 'squared' ? tf.square(g) : variant === 'input' ? tf.mul(g, x) : g);
  const sum = accumulate(copies, copiesPerChunk, (start, end) => {
    const noise = Array.from({ length: end - start }, (_, j) => smoothGradNoise(x.shape, start + j, seed));
    const points = tf.add(tf.expandDims(x, 0), tf.mul(tf.expandDims(sigma, 0), tf.stack(noise)));
    return summedGradients(f, points, transform);
  });
  const mean = tf.div(sum, copies);
  sum.dispose();
  return mean;
}

/**
 * Step sizes t_n with f(x_n − t_n d_n) ≈ 0 along the fixed direction d = ∇f(x): start from the
 * linear guess t = f(x)/‖d‖², double it until f changes sign, then refine the bracket with the
 * Illinois variant of regula falsi. Samples whose line never crosses zero keep the t with the
 * smallest |f| seen. Returns t and f at x − t d.
 */
function rootSteps(
  f: ScalarFunction,
  x: tf.Tensor,
  d: tf.Tensor,
  fx: Float32Array,
  maxIterations: number,
): { t: Float64Array; residual: Float64Array } {
  const n = fx.length;
  const dNorm2 = tf.tidy(() => sumPerSample(tf.square(d)).dataSync() as Float32Array);
  const evaluate = (ts: Float64Array): Float32Array =>
    tf.tidy(() => f(tf.sub(x, tf.mul(perSampleColumn(Float32Array.from(ts), x.rank), d))).dataSync() as Float32Array);

  const best = new Float64Array(n);
  const bestG = Float64Array.from(fx);
  const lo = new Float64Array(n); // bracket end with the sign of f(x)
  const gLo = Float64Array.from(fx);
  const hi = new Float64Array(n);
  const gHi = new Float64Array(n);
  const bracketed = new Uint8Array(n);
  const active = new Uint8Array(n);
  const next = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    active[i] = fx[i] !== 0 && dNorm2[i] > 0 ? 1 : 0;
    next[i] = active[i] ? fx[i] / dNorm2[i] : 0;
  }
  const lastSide = new Int8Array(n); // Illinois: which end was kept last time (+1 lo, −1 hi)
  for (let iter = 0; iter < maxIterations && active.some((a) => a); iter++) {
    const g = evaluate(next);
    for (let i = 0; i < n; i++) {
      if (!active[i]) continue;
      const t = next[i];
      if (Math.abs(g[i]) < Math.abs(bestG[i])) {
        best[i] = t;
        bestG[i] = g[i];
      }
      if (g[i] === 0 || Math.abs(g[i]) <= 1e-7 * Math.abs(fx[i])) {
        active[i] = 0;
        continue;
      }
      const sameSide = Math.sign(g[i]) === Math.sign(fx[i]);
      if (!bracketed[i]) {
        if (sameSide) {
          lo[i] = t;
          gLo[i] = g[i];
          next[i] = 2 * t;
          continue;
        }
        bracketed[i] = 1;
        hi[i] = t;
        gHi[i] = g[i];
      } else if (sameSide) {
        lo[i] = t;
        gLo[i] = g[i];
        if (lastSide[i] === -1) gHi[i] /= 2;
        lastSide[i] = -1;
      } else {
        hi[i] = t;
        gHi[i] = g[i];
        if (lastSide[i] === 1) gLo[i] /= 2;
        lastSide[i] = 1;
      }
      next[i] = (lo[i] * gHi[i] - hi[i] * gLo[i]) / (gHi[i] - gLo[i]);
      if (!(next[i] !== lo[i] && next[i] !== hi[i]) || !Number.isFinite(next[i])) active[i] = 0;
    }
  }
  return { t: best, residual: bestG };
}

function simpleTaylor(f: ScalarFunction, x: tf.Tensor, fx: Float32Array, options: GradientOptions) {
  const d = inputGradient(f, x);
  const { t, residual } = rootSteps(f, x, d, fx, options.maxIterations ?? DEFAULTS.maxIterations);
  const step = tf.mul(perSampleColumn(Float32Array.from(t), x.rank), d); // x − x̃
  const root = tf.sub(x, step);
  return { relevance: tf.mul(inputGradient(f, root), step), rootResidual: Float32Array.from(residual) };
}

/**
 * Explains f at each sample of x with one gradient method. `relevance` has the shape of x (use
 * sumChannels for per-pixel maps) and must be disposed by the caller; everything else is freed.
 */
export function explainByGradient(
  f: ScalarFunction,
  x: tf.Tensor,
  method: GradientMethodName,
  options: GradientOptions = {},
): GradientExplanation {
  const name = parseGradientMethod(method, 'gradient method');
  validateGradientOptions(options);
  if (x.rank < 2) throw new Error(`explainByGradient expects a batch [N, ...]; got shape [${x.shape}]`);
  const g = perSample(f);
  let extra: Pick<GradientExplanation, 'rootResidual' | 'completenessError'> = {};
  let output: Float32Array = new Float32Array(0);
  const relevance = tf.tidy(() => {
    output = g(x).dataSync() as Float32Array;
    switch (name) {
      case 'gradient':
        return tf.square(inputGradient(g, x));
      case 'gxi':
        return tf.mul(inputGradient(g, x), x);
      case 'taylor': {
        const { relevance, rootResidual } = simpleTaylor(g, x, output, options);
        extra = { rootResidual };
        return relevance;
      }
      case 'ig': {
        const { relevance, completenessError } = integratedGradients(g, x, options);
        extra = { completenessError };
        return relevance;
      }
      case 'smoothgrad':
        return smoothGrad(g, x, options);
    }
  });
  return { method: name, relevance, output: Float32Array.from(output), ...extra };
}
