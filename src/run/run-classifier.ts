/**
 * The classifier of a run (its feature network, input → logits) explained for chosen samples:
 * each sample's predicted class logit, per method, as per-pixel maps [N, H, W] — the one
 * classifier-explanation service (explainClassifierSamples) on the run's network and data.
 */
import { UserError } from '../errors.ts';
import { parseComposite } from '../explain/composites.ts';
import { explainClassifierSamples, type ClassifierMethod } from '../explain/classifier-methods.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import type { RunExplainer } from './run-explainer.ts';

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
  const e = explainClassifierSamples(
    runClassifier(explainer),
    explainer.inputs(indices),
    methods.map((m) => withDataBounds(m, explainer)),
    { gradient, onProgress },
  );
  return {
    indices: [...indices],
    predicted: e.predicted,
    logits: e.logit,
    methods: e.methods.map(({ method, maps }) => ({ method, maps: explainer.perPixel(maps, indices.length) })),
  };
}
