/**
 * Explaining a classifier's chosen logit with any method the CLI offers — the gradient methods
 * and the LRP composites — as per-pixel relevance maps [N, H, W]: explainClassifier for one batch
 * and one method, explainClassifierSamples for any number of samples and methods (the one service
 * behind `explain-classifier`, the report's classifier section and `evaluate --classifier`).
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { mapShape } from '../data/dataset.ts';
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
import { forwardRows, outputShapeOf } from './feature-map.ts';

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

/** Samples explained together: bounds memory (IG and SmoothGrad chunk their own points). */
export const SAMPLES_PER_PASS = 32;

/** Every class score of every sample of `values` (whole samples of the network's input), N × classes. */
function classScores(network: ExplainableNetwork, values: Float32Array) {
  const perSample = outputShapeOf(network);
  if (perSample.length !== 1)
    throw new UserError(
      `the network's output has shape [${perSample.join(', ')}] per sample; a classifier to explain gives one score per class (a vector)`,
    );
  const classes = perSample[0];
  const scores = forwardRows(network, values);
  return { scores, classes, n: scores.length / classes };
}

/** Predicted class (arg-max; the first of ties) and its score for every sample of `values`. */
export function predictClasses(
  network: ExplainableNetwork,
  values: Float32Array,
): { predicted: Int32Array; logits: Float32Array; classes: number } {
  const all = classScores(network, values);
  return { ...argMaxRows(all), classes: all.classes };
}

function argMaxRows({ scores, classes, n }: { scores: Float32Array; classes: number; n: number }) {
  const predicted = new Int32Array(n);
  const logits = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c] > scores[i * classes + best]) best = c;
    predicted[i] = best;
    logits[i] = scores[i * classes + best];
  }
  return { predicted, logits };
}

export interface ClassifierSamplesOptions {
  /** explained class of each sample, or a function of the predicted classes and the class count (default: the predicted one) */
  target?: Int32Array | ((predicted: Int32Array, classes: number) => Int32Array);
  gradient?: GradientOptions;
  /** samples done so far, over all methods, after each pass */
  onProgress?: (done: number) => void;
}

export interface ClassifierSamplesExplanation {
  /** arg-max class of each sample */
  predicted: Int32Array;
  /** explained class of each sample */
  target: Int32Array;
  /** the explained class's score of each sample */
  logit: Float32Array;
  methods: Array<{
    method: string;
    /** N × H × W (see mapShape) */
    maps: Float32Array;
    /** IG completenessError, Taylor rootResidual, … per sample */
    diagnostics: Array<Record<string, number>>;
  }>;
}

/** Explain the chosen class of every sample of `values` with every method, SAMPLES_PER_PASS samples per pass. */
export function explainClassifierSamples(
  network: ExplainableNetwork,
  values: Float32Array,
  methods: readonly ClassifierMethod[],
  options: ClassifierSamplesOptions = {},
): ClassifierSamplesExplanation {
  const inputShape = [...network.inputShape];
  const size = inputShape.reduce((a, b) => a * b, 1);
  const n = values.length / size;
  const all = classScores(network, values);
  const { scores, classes } = all;
  const { predicted } = argMaxRows(all);
  const target =
    typeof options.target === 'function' ? options.target(predicted, classes) : (options.target ?? predicted);
  if (target.length !== n) throw new Error(`${target.length} targets for ${n} samples`);
  const wrong = target.find((t) => !(t >= 0 && t < classes));
  if (wrong !== undefined) throw new UserError(`class ${wrong} is not an output of the network (0…${classes - 1})`);
  const [height, width] = mapShape(inputShape);
  const logit = Float32Array.from(target, (t, i) => scores[i * classes + t]);
  let done = 0;
  const results = methods.map((method) => {
    const maps = new Float32Array(n * height * width);
    const diagnostics: Array<Record<string, number>> = [];
    for (let start = 0; start < n; start += SAMPLES_PER_PASS) {
      const end = Math.min(n, start + SAMPLES_PER_PASS);
      const x = tf.tensor(values.subarray(start * size, end * size), [end - start, ...inputShape]);
      try {
        const e = explainClassifier(network, x, target.subarray(start, end), method, options.gradient);
        maps.set(e.maps, start * height * width);
        diagnostics.push(...e.diagnostics);
      } finally {
        x.dispose();
      }
      done += end - start;
      options.onProgress?.(done);
    }
    return { method: method.name, maps, diagnostics };
  });
  return { predicted, target: Int32Array.from(target), logit, methods: results };
}
