/**
 * The names of the classifier explanation methods, for CLI help and parsing (light: no tfjs, so
 * that `--help` answers at once). The methods themselves: gradient-methods.ts, composites.ts.
 */

export const GRADIENT_METHOD_NAMES = ['gradient', 'taylor', 'gxi', 'ig', 'smoothgrad'] as const;
export type GradientMethodName = (typeof GRADIENT_METHOD_NAMES)[number];

export const SMOOTHGRAD_VARIANTS = ['plain', 'squared', 'input'] as const;
export type SmoothGradVariant = (typeof SMOOTHGRAD_VARIANTS)[number];

/** One line per method, for CLI help. */
export const GRADIENT_METHOD_DESCRIPTIONS: Readonly<Record<GradientMethodName, string>> = {
  gradient: 'sensitivity analysis (∂f/∂x)²',
  taylor: 'simple Taylor ∇f(x̃)·(x − x̃) at a root x̃ on the gradient line through x',
  gxi: 'gradient × input',
  ig: 'integrated gradients from a baseline x̄',
  smoothgrad: 'SmoothGrad, the gradient averaged over noisy copies of x',
};

/** The named LRP composites (without the 'lrp:' prefix the CLI puts before them). */
export const COMPOSITE_KEYS = [
  'epsilon-plus',
  'epsilon-plus-flat',
  'epsilon-gamma-box',
  'epsilon-alpha2-beta1',
  'deep-taylor',
  '0',
  'epsilon',
  'gamma',
  'alpha2-beta1',
  'alpha1-beta0',
  'z-plus',
  'z-box',
  'w-square',
  'flat',
] as const;
export type CompositeKey = (typeof COMPOSITE_KEYS)[number];

export const COMPOSITE_NAMES: readonly string[] = COMPOSITE_KEYS.map((n) => `lrp:${n}`);
