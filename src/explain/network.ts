/**
 * The explainable network: an ordered chain of layers, each of which knows its forward pass and
 * how to send relevance from its output back to its input. Linear layers (dense, conv, pooling)
 * do so with a rule of the LRP family (see rules.ts); other layers (ReLU, reshape, max-pooling,
 * and layers appended by other modules, such as the distance and soft-min layers of the
 * neuralized one-class SVM) bring their own relevance formula.
 */
import { tf } from '../runtime/runtime.ts';
import type { Rule } from './rules.ts';

export type Tensor = tf.Tensor;

/** Kinds the engine builds itself; layers added elsewhere may use any other string. */
export type LayerKind =
  | 'dense'
  | 'conv2d'
  | 'max-pooling2d'
  | 'average-pooling2d'
  | 'global-average-pooling2d'
  | 'reshape'
  | 'relu'
  | 'identity'
  | (string & {});

/** What the propagation routine tells a layer besides its input and the relevance of its output. */
export interface RelevanceContext {
  /** the layer's forward output for `input` (already computed during the forward pass) */
  readonly output: Tensor;
  /**
   * sends `R` (shaped like the output of `network` for `input`) down through `network` with the
   * same composite: for layers that hold networks of their own
   */
  readonly propagateThrough?: (network: ExplainableNetwork, input: Tensor, R: Tensor) => Tensor;
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

/** The forward pass of every layer, in order, kept for the relevance pass. */
export interface ForwardTrace {
  /** activations[k] is the input of layer k; activations[layers.length] is the network output */
  readonly activations: Tensor[];
}

export class ExplainableNetwork {
  readonly layers: readonly ExplainableLayer[];
  /** shape of one input sample (without the batch axis) */
  readonly inputShape: readonly number[];

  constructor(layers: readonly ExplainableLayer[], inputShape: readonly number[]) {
    const seen = new Set<string>();
    for (const layer of layers) {
      if (seen.has(layer.name)) throw new Error(`duplicate layer name '${layer.name}' in explainable network`);
      seen.add(layer.name);
    }
    this.layers = [...layers];
    this.inputShape = [...inputShape];
  }

  /** Network output for a batch x: [N, ...inputShape]. */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => this.layers.reduce((a, layer) => layer.forward(a), x));
  }

  /** All intermediate activations (caller disposes them, or runs this inside tf.tidy). */
  trace(x: Tensor): ForwardTrace {
    const activations: Tensor[] = [x];
    for (const layer of this.layers) activations.push(layer.forward(activations[activations.length - 1]));
    return { activations };
  }

  /** Index of a layer by name, or -1. */
  indexOf(name: string): number {
    return this.layers.findIndex((l) => l.name === name);
  }

  /**
   * The network up to and including the tfjs layer `name` (with its split-off activation, so the
   * cut lies after 'features/relu' when asked for 'features'). Shares the layer objects.
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
    return new ExplainableNetwork(this.layers.slice(0, last + 1), this.inputShape);
  }

  /** A new network with `more` appended after the last layer. Shares the layer objects. */
  extend(...more: ExplainableLayer[]): ExplainableNetwork {
    return new ExplainableNetwork([...this.layers, ...more], this.inputShape);
  }

  /** Frees every layer's weights (networks made by upTo/extend share them: dispose only once). */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }
}
