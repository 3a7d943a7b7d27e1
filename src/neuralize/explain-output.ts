/**
 * Explain a network's own scalar output per sample (o(x) of a neuralized OC-SVM, the cluster logit
 * f_c(x) of NEON): the output itself is the top relevance, sent down by each layer's relevance
 * function, with a composite's LRP rules in the layers of a feature network.
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import { parseComposite, type Composite, type CompositeOptions } from '../explain/composites.ts';
import { propagate } from '../explain/lrp.ts';

import { DEFAULT_COMPOSITE } from './method-names.ts';

export { DEFAULT_COMPOSITE };

export interface OutputExplanationOptions {
  /** composite for the feature network's layers: a Composite or a CLI name ('deep-taylor', 'lrp:epsilon-plus', …) */
  composite?: Composite | string;
  /** bounds etc. for a composite given by name */
  compositeOptions?: CompositeOptions;
  /** also return the relevance of every layer's input (layers[k]; layers[L] = the output) */
  returnLayers?: boolean;
}

export interface OutputExplanation {
  /** relevance of every input value, shaped like x; Σ = output up to the rules' own conservation */
  relevance: Tensor;
  /** the explained output per sample */
  output: Float32Array;
  /** with returnLayers: relevance of each layer's input (caller disposes) */
  layers?: Tensor[];
}

export function resolveComposite(composite: Composite | string | undefined, options: CompositeOptions = {}): Composite {
  if (composite === undefined || typeof composite === 'string') {
    return parseComposite(composite ?? DEFAULT_COMPOSITE, options, 'composite');
  }
  return composite;
}

/** The caller owns `relevance` (and `layers`). */
export function explainOutput(
  network: ExplainableNetwork,
  x: Tensor,
  options: OutputExplanationOptions = {},
): OutputExplanation {
  const composite = resolveComposite(options.composite, options.compositeOptions);
  // a copy of the output as the top relevance: propagate frees the top once it has passed it down
  const result = propagate(network, x, (out) => tf.clone(out), composite, { returnLayers: options.returnLayers });
  if (result.output.rank !== 1) {
    tf.dispose([result.relevance, result.output, ...(result.layers ?? [])]);
    throw new Error(`explainOutput needs a network with one output per sample, got shape [${result.output.shape}]`);
  }
  const output = Float32Array.from(result.output.dataSync());
  result.output.dispose();
  return options.returnLayers
    ? { relevance: result.relevance, output, layers: result.layers }
    : { relevance: result.relevance, output };
}
