/**
 * OC-DTD (METHODS.md §5): deep Taylor decomposition of the outlierness o(x). The neuralized
 * network's own layers carry the first two steps (pooling → distance neurons by soft-min weights,
 * distance neurons → feature dimensions by their share of each distance); below them, through a
 * feature network, relevance flows with the LRP rules of a composite (default deep-taylor).
 */
import { tf } from '../features/runtime.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import { parseComposite, type Composite, type CompositeOptions } from '../explain/composites.ts';
import { propagate } from '../explain/lrp.ts';

export const DEFAULT_OCDTD_COMPOSITE = 'deep-taylor';

export interface OcdtdOptions {
  /** composite for the feature network's layers: a Composite or a CLI name ('deep-taylor', 'lrp:epsilon-plus', …) */
  composite?: Composite | string;
  /** bounds etc. for a composite given by name */
  compositeOptions?: CompositeOptions;
  /** also return the relevance of every layer's input (layers[k]; layers[L] = o(x)) */
  returnLayers?: boolean;
}

export interface OcdtdResult {
  /** relevance of every input value, shaped like x; Σ = o(x) up to the rules' own conservation */
  relevance: Tensor;
  /** o(x) per sample */
  outlierness: Float32Array;
  /** with returnLayers: relevance of each layer's input (caller disposes) */
  layers?: Tensor[];
}

export function resolveComposite(composite: Composite | string | undefined, options: CompositeOptions = {}): Composite {
  if (composite === undefined || typeof composite === 'string') {
    return parseComposite(composite ?? DEFAULT_OCDTD_COMPOSITE, options, 'OC-DTD composite');
  }
  return composite;
}

/**
 * Explain o(x) for a batch x of inputs of `network` (a neuralized network from input to o(x), see
 * NeuralizedOcsvm.network). The caller owns `relevance` (and `layers`).
 */
export function ocdtd(network: ExplainableNetwork, x: Tensor, options: OcdtdOptions = {}): OcdtdResult {
  const composite = resolveComposite(options.composite, options.compositeOptions);
  // a copy of o as the top relevance: propagate frees the top once it has passed it down
  const result = propagate(network, x, (o) => tf.clone(o), composite, { returnLayers: options.returnLayers });
  const outlierness = Float32Array.from(result.output.dataSync());
  result.output.dispose();
  if (options.returnLayers) return { relevance: result.relevance, outlierness, layers: result.layers };
  return { relevance: result.relevance, outlierness };
}
