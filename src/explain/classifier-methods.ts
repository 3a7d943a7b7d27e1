/**
 * Explaining a classifier's chosen logit with any method the CLI offers — the gradient methods
 * and the LRP composites — as per-pixel relevance maps [N, H, W], one method at a time.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { COMPOSITE_NAMES, parseComposite, type Composite, type CompositeOptions } from './composites.ts';
import {
  GRADIENT_METHOD_NAMES,
  explainByGradient,
  isGradientMethod,
  selectPerSample,
  sumChannels,
  type GradientMethodName,
  type GradientOptions,
} from './gradient-methods.ts';
import { explainLRP } from './lrp.ts';
import type { ExplainableNetwork } from './network.ts';

export type ClassifierMethod =
  { kind: 'gradient'; name: GradientMethodName } | { kind: 'lrp'; name: string; composite: Composite };

function allowedText(): string {
  return `allowed: ${[...GRADIENT_METHOD_NAMES, ...COMPOSITE_NAMES].join(', ')} (also lrp:epsilon=0.25, lrp:gamma=0.5)`;
}

/**
 * A comma-separated method list from the user, e.g. 'lrp:epsilon-plus-flat,gradient,ig'. The LRP
 * composites get `compositeOptions` (the input bounds of z^B: see data-bounds.ts; default images in [0, 1]).
 */
export function parseClassifierMethods(
  list: string,
  where = '--method',
  compositeOptions: CompositeOptions = {},
): ClassifierMethod[] {
  const names = list.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new UserError(`${where}: empty method name in '${list}'; ${allowedText()}`);
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name)) throw new UserError(`${where}: method '${name}' is listed twice`);
    seen.add(name);
    if (isGradientMethod(name)) return { kind: 'gradient', name };
    if (name.startsWith('lrp:')) return { kind: 'lrp', name, composite: parseComposite(name, compositeOptions, where) };
    throw new UserError(`${where}: unknown method '${name}'; ${allowedText()}`);
  });
}

/** Height and width of the per-pixel map of one input: images [H, W, C] or [H, W]; vectors [D] → 1 × D. */
export function pixelMapShape(inputShape: readonly number[]): [number, number] {
  if (inputShape.length === 3 || inputShape.length === 2) return [inputShape[0], inputShape[1]];
  if (inputShape.length === 1) return [1, inputShape[0]];
  throw new UserError(`cannot draw relevance maps for inputs of shape [${inputShape.join(', ')}]`);
}

export interface ClassifierExplanation {
  /** N × H × W per-pixel relevance (channels summed) */
  maps: Float32Array;
  /** the explained logit per sample */
  logit: Float32Array;
  /** method diagnostics per sample: IG completenessError, Taylor rootResidual */
  diagnostics: Array<Record<string, number>>;
}

/**
 * Relevance of every input pixel for the logit of class target[n] of sample n of x
 * ([N, ...network.inputShape]). LRP starts from that logit, the gradient methods explain it as
 * the function f(x) = logit_target(x).
 */
export function explainClassifier(
  network: ExplainableNetwork,
  x: tf.Tensor,
  target: Int32Array,
  method: ClassifierMethod,
  gradientOptions: GradientOptions = {},
): ClassifierExplanation {
  const n = x.shape[0];
  if (target.length !== n) throw new Error(`${target.length} targets for ${n} samples`);
  if (method.kind === 'lrp') {
    const result = explainLRP(network, x, { composite: method.composite, target: Array.from(target) });
    const [maps, logit] = tf.tidy(() => [
      sumChannels(result.relevance).dataSync(),
      selectPerSample(result.output, target).dataSync(),
    ]);
    tf.dispose([result.relevance, result.output]);
    return {
      maps: Float32Array.from(maps),
      logit: Float32Array.from(logit),
      diagnostics: Array.from({ length: n }, () => ({})),
    };
  }
  const f = (z: tf.Tensor) => selectPerSample(network.forward(z), target);
  const e = explainByGradient(f, x, method.name, gradientOptions);
  const maps = tf.tidy(() => sumChannels(e.relevance).dataSync());
  e.relevance.dispose();
  const diagnostics = Array.from({ length: n }, (_, i) => ({
    ...(e.completenessError ? { completenessError: e.completenessError[i] } : {}),
    ...(e.rootResidual ? { rootResidual: e.rootResidual[i] } : {}),
  }));
  return { maps: Float32Array.from(maps), logit: e.output, diagnostics };
}
