/**
 * LRP rules as data. Every rule of the linear family is one or more passes of the same four-step
 * routine (propagate-linear.ts):
 *   z = Σ_terms sign · forward(input(a); weight(W)) + bias(b),  z ← z + ε·sign(z)
 *   s = R / z,   c_term = backward_term(s),   R_in = coefficient · Σ_terms sign · input(a) · c_term
 * A rule only says how it changes the activations, weights and bias, which stabiliser it uses,
 * and how passes combine.
 */
import { tf } from '../runtime/runtime.ts';

type Tensor = tf.Tensor;

export type Modifier = (t: Tensor) => Tensor;

/** One weighted sum Σ_i input(a)_i · weight(W)_ij contributing to a pass's denominator. */
export interface RuleTerm {
  /**
   * what replaces the activations a (itself, its positive part, ones, a box bound); a constant
   * input may come back with batch axis 1, and is then broadcast over the batch
   */
  readonly input: Modifier;
  /** ρ applied to the weights */
  readonly weight: Modifier;
  /** how the term enters z and the input relevance */
  readonly sign: 1 | -1;
  /** the term is zero whenever a ≥ 0 everywhere (negative-part terms), so it may be skipped */
  readonly vanishesOnNonNegativeInput?: boolean;
}

export interface RulePass {
  readonly terms: readonly RuleTerm[];
  /** ρ applied to the bias, or null to leave the bias out of z */
  readonly bias: Modifier | null;
  /** stabiliser: z + epsilon·sign(z), sign(0) = +1 */
  readonly epsilon: number;
  /** factor of this pass's input relevance (1; α and −β for αβ) */
  readonly coefficient: number;
}

export interface Rule {
  readonly name: string;
  readonly passes: readonly RulePass[];
}

/** Keeps a zero denominator from producing NaN/∞ for the rules that nominally have ε = 0. */
export const DIVISION_GUARD = 1e-12;

export const identity: Modifier = (t) => t;
export const positivePart: Modifier = (t) => tf.relu(t);
export const negativePart: Modifier = (t) => tf.neg(tf.relu(tf.neg(t)));
export const square: Modifier = (t) => tf.square(t);
/** A constant like one sample of t (batch axis 1): the batch does not change the forward pass. */
const sampleShapeOf = (t: Tensor) => [1, ...t.shape.slice(1)];
/** Ones in the shape of one sample of the activations t. */
export const ones: Modifier = (t) => tf.ones(sampleShapeOf(t));
/** Ones in the shape of the weights t. */
export const onesLike: Modifier = (t) => tf.onesLike(t);
const fillWith = (value: number | Tensor): Modifier =>
  typeof value === 'number' ? (t) => tf.fill(sampleShapeOf(t), value) : (t) => tf.mul(tf.ones(sampleShapeOf(t)), value);

const plain: RuleTerm = { input: identity, weight: identity, sign: 1 };
const single = (terms: RuleTerm[], bias: Modifier | null, epsilon = DIVISION_GUARD): RulePass[] => [
  { terms, bias, epsilon, coefficient: 1 },
];

/** LRP-0: ρ = identity, no stabiliser. */
export function lrp0(): Rule {
  return { name: 'lrp-0', passes: single([plain], identity) };
}

/** LRP-ε: stabiliser ε·sign(z). */
export function epsilonRule(epsilon = 1e-6): Rule {
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be ≥ 0, got ${epsilon}`);
  return { name: `epsilon(${epsilon})`, passes: single([plain], identity, Math.max(epsilon, DIVISION_GUARD)) };
}

/** LRP-γ: ρ(w) = w + γ·w⁺ (bias likewise). */
export function gammaRule(gamma = 0.25): Rule {
  if (!(gamma >= 0)) throw new RangeError(`gamma must be ≥ 0, got ${gamma}`);
  const rho: Modifier = (t) => tf.add(t, tf.mul(tf.relu(t), gamma));
  return { name: `gamma(${gamma})`, passes: single([{ input: identity, weight: rho, sign: 1 }], rho) };
}

/**
 * LRP-αβ (α − β = 1): positive contributions (a w)⁺ and negative ones (a w)⁻ are propagated
 * separately, each normalised by its own sum; the bias is left out (docs/methods.md#lrp-rules).
 */
export function alphaBetaRule(alpha = 2, beta = 1): Rule {
  if (Math.abs(alpha - beta - 1) > 1e-9) throw new RangeError(`alpha − beta must be 1, got α=${alpha}, β=${beta}`);
  const positiveContributions: RuleTerm[] = [
    { input: positivePart, weight: positivePart, sign: 1 },
    { input: negativePart, weight: negativePart, sign: 1, vanishesOnNonNegativeInput: true },
  ];
  const negativeContributions: RuleTerm[] = [
    { input: positivePart, weight: negativePart, sign: 1 },
    { input: negativePart, weight: positivePart, sign: 1, vanishesOnNonNegativeInput: true },
  ];
  const passes: RulePass[] = [
    { terms: positiveContributions, bias: null, epsilon: DIVISION_GUARD, coefficient: alpha },
  ];
  if (beta !== 0)
    passes.push({ terms: negativeContributions, bias: null, epsilon: DIVISION_GUARD, coefficient: -beta });
  return { name: `alpha${alpha}-beta${beta}`, passes };
}

/** z⁺ (deep Taylor, hidden ReLU layers): ρ(w) = w⁺, bias ignored. */
export function zPlusRule(): Rule {
  return { name: 'z-plus', passes: single([{ input: identity, weight: positivePart, sign: 1 }], null) };
}

/** z^B (deep Taylor, inputs bounded by low ≤ x ≤ high): x·w − l·w⁺ − h·w⁻, bias ignored. */
export function zBoxRule(low: number | Tensor, high: number | Tensor): Rule {
  // with scalar bounds, l·w⁺ + h·w⁻ is one weight on an input of ones: one transposed op fewer
  const terms: RuleTerm[] =
    typeof low === 'number' && typeof high === 'number'
      ? [
          plain,
          { input: ones, weight: (w) => tf.add(tf.mul(tf.relu(w), low), tf.mul(negativePart(w), high)), sign: -1 },
        ]
      : [
          plain,
          { input: fillWith(low), weight: positivePart, sign: -1 },
          { input: fillWith(high), weight: negativePart, sign: -1 },
        ];
  const describe = (v: number | Tensor) => (typeof v === 'number' ? String(v) : 'tensor');
  return { name: `z-box(${describe(low)}, ${describe(high)})`, passes: single(terms, null) };
}

/** w² (deep Taylor, unbounded inputs): R_i = Σ_j w_ij² / Σ_i' w_i'j² · R_j. */
export function wSquareRule(): Rule {
  return { name: 'w-square', passes: single([{ input: ones, weight: square, sign: 1 }], null) };
}

/** flat: every connected input gets an equal share of R_j. */
export function flatRule(): Rule {
  return { name: 'flat', passes: single([{ input: ones, weight: onesLike, sign: 1 }], null) };
}
