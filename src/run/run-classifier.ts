/**
 * The classifier of a run (its feature network, input → logits) explained for chosen samples:
 * each sample's predicted class logit, per method, as per-pixel maps [N, H, W].
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { parseComposite } from '../explain/composites.ts';
import { explainClassifier, type ClassifierMethod } from '../explain/classifier-methods.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { mapShape, type RunExplainer } from './run-explainer.ts';

export interface ClassifierMaps {
  method: string;
  /** N × H × W */
  maps: Float32Array;
}

export interface RunClassifierExplanation {
  indices: number[];
  /** predicted class index per sample */
  predicted: Int32Array;
  /** the predicted class's logit per sample */
  logits: Float32Array;
  methods: ClassifierMaps[];
}

/** Samples explained together: bounds memory (IG chunks its own interpolation points). */
const SAMPLES_PER_PASS = 32;

/** The run's classifier, or a UserError saying why there is none. */
export function runClassifier(explainer: RunExplainer): ExplainableNetwork {
  const network = explainer.classifierNetwork;
  if (!network) {
    throw new UserError(
      `run ${explainer.run.dir} uses ${explainer.run.config.features} features: it has no feature network, so there is no classifier to explain (train with --features cnn or mlp)`,
    );
  }
  return network;
}

/** Predicted class and its logit for every chosen sample. */
export function predictClasses(
  explainer: RunExplainer,
  indices: readonly number[],
): { predicted: Int32Array; logits: Float32Array } {
  const network = runClassifier(explainer);
  const predicted = new Int32Array(indices.length);
  const logits = new Float32Array(indices.length);
  for (let start = 0; start < indices.length; start += 256) {
    const batch = indices.slice(start, start + 256);
    const [p, l] = tf.tidy(() => {
      const out = network.forward(explainer.tensorOf(batch)) as tf.Tensor2D;
      return [tf.argMax(out, 1).dataSync(), tf.max(out, 1).dataSync()];
    });
    predicted.set(p, start);
    logits.set(l, start);
  }
  return { predicted, logits };
}

/** LRP composites with the data's bounds (z^B at the pixels, or w² for unbounded inputs). */
function withDataBounds(method: ClassifierMethod, explainer: RunExplainer): ClassifierMethod {
  return method.kind === 'lrp'
    ? { ...method, composite: parseComposite(method.name, explainer.compositeOptions) }
    : method;
}

/** Explain the predicted class of each sample with every method; `onProgress(samples done)` per pass. */
export function explainRunClassifier(
  explainer: RunExplainer,
  indices: readonly number[],
  methods: readonly ClassifierMethod[],
  gradient: GradientOptions = {},
  onProgress?: (done: number) => void,
): RunClassifierExplanation {
  const network = runClassifier(explainer);
  const { predicted, logits } = predictClasses(explainer, indices);
  const [height, width] = mapShape(explainer.run.dataset.sampleShape);
  const results = methods.map((m) => ({ method: m.name, maps: new Float32Array(indices.length * height * width) }));
  let done = 0;
  for (const [m, method] of methods.entries()) {
    const bounded = withDataBounds(method, explainer);
    for (let start = 0; start < indices.length; start += SAMPLES_PER_PASS) {
      const batch = indices.slice(start, start + SAMPLES_PER_PASS);
      const x = explainer.tensorOf(batch);
      try {
        const e = explainClassifier(network, x, predicted.subarray(start, start + batch.length), bounded, gradient);
        results[m].maps.set(e.maps, start * height * width);
      } finally {
        x.dispose();
      }
      done += batch.length;
      onProgress?.(done);
    }
  }
  return { indices: [...indices], predicted, logits, methods: results };
}
