/**
 * The explainable network: layers in topological order, each of which knows its forward pass and
 * how to send relevance from its output back to its input(s). Linear layers (dense, conv, pooling,
 * add) do so with a rule of the LRP family (see rules.ts); other layers (ReLU, reshape,
 * max-pooling, concatenation, and layers appended by other modules, such as the distance and
 * soft-min layers of the neuralized one-class SVM) bring their own relevance formula.
 *
 * A network is a graph: every layer names the layers whose outputs it takes (`sources`); a chain
 * is the graph where each layer takes the one before. A tensor used by several layers (fan-out)
 * gets the sum of the relevance they send back (docs/methods.md#graph-networks).
 */
import { tf } from '../runtime/runtime.ts';
import type { Rule } from './rules.ts';

export type Tensor = tf.Tensor;

/** Kinds the engine builds itself; layers added elsewhere may use any other string. */
export type LayerKind =
  | 'dense'
  | 'conv2d'
  | 'affine'
  | 'max-pooling2d'
  | 'average-pooling2d'
  | 'global-average-pooling2d'
  | 'reshape'
  | 'transpose'
  | 'pad'
  | 'relu'
  | 'leaky-relu'
  | 'clip'
  | 'identity'
  | 'add'
  | 'concat'
  | (string & {});

/** What the propagation routine tells a layer besides its input and the relevance of its output. */
export interface RelevanceContext {
  /** the layer's forward output for `input` (already computed during the forward pass) */
  readonly output: Tensor;
}

export interface ExplainableLayer {
  /** unique within a network; a tfjs layer with a fused activation gives 'name' and 'name/relu' */
  readonly name: string;
  readonly kind: LayerKind;
  /** batched forward pass: [N, ...inputShape] → [N, ...outputShape] */
  forward(a: Tensor): Tensor;
  /**
   * Relevance of the input, shaped like `input`, from the relevance `R` of the output (shaped like
   * the output). `rule` is the one the composite assigned to this layer, or undefined (a linear
   * layer then uses LRP-0; layers outside the linear family ignore it or reject it). Runs inside
   * the caller's tf.tidy; must not dispose `input`, `R` or `ctx.output`.
   */
  relevance(input: Tensor, R: Tensor, rule: Rule | undefined, ctx: RelevanceContext): Tensor;
  /** frees the layer's own tensors (weights) */
  dispose(): void;
}

/** A layer that joins several tensors (sum, concatenation): one relevance per input. */
export interface JoinLayer {
  readonly name: string;
  readonly kind: LayerKind;
  readonly joins: true;
  forward(inputs: readonly Tensor[]): Tensor;
  /** Relevance of each input, shaped like it; same contract as ExplainableLayer.relevance. */
  relevance(inputs: readonly Tensor[], R: Tensor, rule: Rule | undefined, ctx: RelevanceContext): Tensor[];
  dispose(): void;
}

export type NetworkLayer = ExplainableLayer | JoinLayer;

export function isJoin(layer: NetworkLayer): layer is JoinLayer {
  return (layer as Partial<JoinLayer>).joins === true;
}

/** The network input, as a source. */
export const NETWORK_INPUT = -1;

/** The forward pass of every layer, in order, kept for the relevance pass. */
export interface ForwardTrace {
  /** activations[0] is x, activations[k + 1] the output of layer k (in a chain, the input of layer k + 1) */
  readonly activations: Tensor[];
}

const chainSources = (count: number) => Array.from({ length: count }, (_, k) => [k - 1]);

export class ExplainableNetwork {
  readonly layers: readonly NetworkLayer[];
  /** shape of one input sample (without the batch axis) */
  readonly inputShape: readonly number[];
  /** sources[k]: the layers whose outputs layer k takes, in order (NETWORK_INPUT for x); all < k */
  readonly sources: readonly (readonly number[])[];
  /** every layer takes the output of the one before */
  readonly isChain: boolean;

  /** Without `sources`, the layers form a chain. */
  constructor(
    layers: readonly NetworkLayer[],
    inputShape: readonly number[],
    sources?: readonly (readonly number[])[],
  ) {
    const seen = new Set<string>();
    for (const layer of layers) {
      if (seen.has(layer.name)) throw new Error(`duplicate layer name '${layer.name}' in explainable network`);
      seen.add(layer.name);
    }
    this.layers = [...layers];
    this.inputShape = [...inputShape];
    this.sources = (sources ?? chainSources(layers.length)).map((s) => [...s]);
    if (this.sources.length !== layers.length) throw new Error('explainable network: one source list per layer');
    this.sources.forEach((from, k) => {
      const layer = layers[k];
      if (from.some((j) => !Number.isInteger(j) || j < NETWORK_INPUT || j >= k)) {
        throw new Error(`layer '${layer.name}' takes [${from}]: sources must be earlier layers or the input (-1)`);
      }
      if (isJoin(layer) ? from.length < 1 : from.length !== 1) {
        throw new Error(`layer '${layer.name}' takes ${from.length} inputs`);
      }
    });
    this.isChain = this.sources.every((from, k) => from.length === 1 && from[0] === k - 1);
  }

  /** Network output for a batch x: [N, ...inputShape]. */
  forward(x: Tensor): Tensor {
    if (this.isChain) return tf.tidy(() => this.layers.reduce((a, layer) => applyLayer(layer, [a]), x));
    return tf.tidy(() => {
      const { activations } = this.trace(x);
      return activations[activations.length - 1];
    });
  }

  /** All intermediate activations (caller disposes them, or runs this inside tf.tidy). */
  trace(x: Tensor): ForwardTrace {
    const activations: Tensor[] = [x];
    this.layers.forEach((layer, k) => activations.push(applyLayer(layer, this.inputsOf(k, activations))));
    return { activations };
  }

  /** The inputs of layer k among the activations of a trace. */
  inputsOf(k: number, activations: readonly Tensor[]): Tensor[] {
    return this.sources[k].map((j) => activations[j + 1]);
  }

  /** Index of a layer by name, or -1. */
  indexOf(name: string): number {
    return this.layers.findIndex((l) => l.name === name);
  }

  /**
   * The network up to and including the layer `name` (with its split-off activation, so the cut
   * lies after 'features/relu' when asked for 'features'), keeping only the layers it depends on.
   * Shares the layer objects.
   */
  upTo(name: string): ExplainableNetwork {
    let last = -1;
    this.layers.forEach((l, i) => {
      if (l.name === name || l.name.startsWith(`${name}/`)) last = i;
    });
    if (last < 0)
      throw new Error(
        `no layer '${name}' in explainable network (layers: ${this.layers.map((l) => l.name).join(', ')})`,
      );
    return this.upToLayer(last);
  }

  /** The network whose output is layer `last`'s, with only the layers it depends on. Shares the layer objects. */
  upToLayer(last: number): ExplainableNetwork {
    if (this.isChain) return new ExplainableNetwork(this.layers.slice(0, last + 1), this.inputShape);
    const needed = new Set<number>([last]);
    for (let k = last; k >= 0; k--) if (needed.has(k)) for (const j of this.sources[k]) if (j >= 0) needed.add(j);
    const kept = [...needed].sort((a, b) => a - b);
    const position = new Map(kept.map((k, i) => [k, i]));
    return new ExplainableNetwork(
      kept.map((k) => this.layers[k]),
      this.inputShape,
      kept.map((k) => this.sources[k].map((j) => (j < 0 ? j : position.get(j)!))),
    );
  }

  /** A new network with `more` appended, as a chain, after the last layer. Shares the layer objects. */
  extend(...more: ExplainableLayer[]): ExplainableNetwork {
    const n = this.layers.length;
    return new ExplainableNetwork([...this.layers, ...more], this.inputShape, [
      ...this.sources,
      ...more.map((_, i) => [n + i - 1]),
    ]);
  }

  /** Frees every layer's weights (networks made by upTo/extend share them: dispose only once). */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}

function applyLayer(layer: NetworkLayer, inputs: Tensor[]): Tensor {
  return isJoin(layer) ? layer.forward(inputs) : layer.forward(inputs[0]);
}
