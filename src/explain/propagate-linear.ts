/**
 * The one propagation routine of the linear rule family (docs/methods.md#lrp-routine): for every pass of the rule,
 *   1. z = Σ_terms sign · forward(input(a); weight(W)) + bias(b), stabilised,
 *   2. s = R / z,
 *   3. c = backward(s) — the transposed operation (transposed matmul / transposed convolution),
 *   4. R_in += coefficient · Σ_terms sign · input(a) · c.
 * Dense, convolution and average-pooling layers differ only in their forward and transposed ops.
 */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from './network.ts';
import { identity, lrp0, ones, type Rule, type RulePass } from './rules.ts';

/** A layer that is linear in its input, as the rules see it. */
export interface LinearOperator {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** z = a ⊛ weight (+ bias when given), for a batch a */
  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor;
  /** ∂(Σ_j z_j s_j)/∂a for z = apply(a; weight, no bias): shaped like `a` */
  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor;
}

const DEFAULT_RULE = lrp0();

/** z + ε·sign(z), with sign(0) = +1; one pass when z has no negative entry (z⁺, z^B, w², flat). */
export function stabilise(z: Tensor, epsilon: number): Tensor {
  return tf.tidy(() => {
    if (tf.min(z).dataSync()[0] >= 0) return tf.add(z, epsilon);
    return tf.where(tf.greaterEqual(z, 0), tf.add(z, epsilon), tf.sub(z, epsilon));
  });
}

/** True when the pass's denominator is the layer's own output (LRP-0, ε), which the forward pass has. */
function usesPlainOutput(pass: RulePass): boolean {
  const [term] = pass.terms;
  return (
    pass.terms.length === 1 &&
    term.sign === 1 &&
    term.input === identity &&
    term.weight === identity &&
    pass.bias === identity
  );
}

/**
 * Input relevance of a linear layer: `a` its input, `R` the relevance of its output, `output` its
 * plain forward output (reused when the rule's denominator is exactly that).
 */
export function propagateLinear(
  op: LinearOperator,
  a: Tensor,
  R: Tensor,
  rule: Rule | undefined,
  output?: Tensor,
): Tensor {
  return tf.tidy(() => {
    const passes = (rule ?? DEFAULT_RULE).passes;
    let nonNegativeInput: boolean | undefined;
    const isNonNegative = () => (nonNegativeInput ??= tf.min(a).dataSync()[0] >= 0);
    let total: Tensor | null = null;
    for (const pass of passes) {
      const terms = pass.terms.filter((t) => !(t.vanishesOnNonNegativeInput && isNonNegative()));
      if (terms.length === 0) continue;
      const inputs = terms.map((t) => t.input(a));
      const weights = terms.map((t) => t.weight(op.weight));
      let z: Tensor;
      if (output && usesPlainOutput(pass)) {
        z = output;
      } else {
        const bias = pass.bias && op.bias ? pass.bias(op.bias) : null;
        if (terms.length === 1 && terms[0].sign === 1) {
          z = op.apply(inputs[0], weights[0], bias);
        } else {
          z = terms
            .map((t, k) =>
              t.sign === 1 ? op.apply(inputs[k], weights[k], null) : tf.neg(op.apply(inputs[k], weights[k], null)),
            )
            .reduce((acc, zk) => tf.add(acc, zk));
          if (bias) z = tf.add(z, bias);
        }
      }
      const s = tf.div(R, stabilise(z, pass.epsilon));
      let passRelevance: Tensor | null = null;
      terms.forEach((t, k) => {
        const c = op.transpose(s, weights[k], a);
        const rk = t.input === ones ? c : tf.mul(inputs[k], c);
        const signed = t.sign === 1 ? rk : tf.neg(rk);
        passRelevance = passRelevance ? tf.add(passRelevance, signed) : signed;
      });
      const scaled = pass.coefficient === 1 ? passRelevance! : tf.mul(passRelevance!, pass.coefficient);
      total = total ? tf.add(total, scaled) : scaled;
    }
    return total ?? tf.zerosLike(a);
  });
}
