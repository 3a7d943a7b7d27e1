/**
 * OC-DTD (docs/methods.md#ocdtd): deep Taylor decomposition of the outlierness o(x). The neuralized
 * network's own layers carry the first two steps (pooling → distance neurons by soft-min weights,
 * distance neurons → feature dimensions by their share of each distance); below them, through a
 * feature network, relevance flows with the LRP rules of a composite (default deep-taylor).
 */
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import { explainOutput, type OutputExplanationOptions } from './explain-output.ts';

export type OcdtdOptions = OutputExplanationOptions;

export interface OcdtdResult {
  /** relevance of every input value, shaped like x; Σ = o(x) up to the rules' own conservation */
  relevance: Tensor;
  /** o(x) per sample */
  outlierness: Float32Array;
  /** with returnLayers: relevance of each layer's input (caller disposes) */
  layers?: Tensor[];
}

/**
 * Explain o(x) for a batch x of inputs of `network` (a neuralized network from input to o(x), see
 * NeuralizedOcsvm.network). The caller owns `relevance` (and `layers`).
 */
export function ocdtd(network: ExplainableNetwork, x: Tensor, options: OcdtdOptions = {}): OcdtdResult {
  const { relevance, output, layers } = explainOutput(network, x, options);
  return layers ? { relevance, outlierness: output, layers } : { relevance, outlierness: output };
}
