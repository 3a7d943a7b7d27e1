/**
 * An explainable network as plain data (layer kinds, settings, weight arrays and the graph's
 * sources), so that it can be posted to a worker thread and rebuilt there. Only the layers this
 * engine builds are covered; a network with other layers (appended by other modules) is not
 * serialisable.
 */
import { tf } from '../runtime/runtime.ts';
import { ExplainableNetwork, type NetworkLayer } from './network.ts';
import { AddLayer } from './layers/add.ts';
import { AffineLayer } from './layers/affine.ts';
import { AveragePooling2DLayer } from './layers/average-pooling2d.ts';
import { ConcatLayer } from './layers/concat.ts';
import { Conv2DLayer, type ConvOptions, type Padding } from './layers/conv2d.ts';
import { DenseLayer } from './layers/dense.ts';
import { GlobalAveragePooling2DLayer } from './layers/global-average-pooling2d.ts';
import { IdentityLayer } from './layers/identity.ts';
import { MaxPooling2DLayer } from './layers/max-pooling2d.ts';
import { PadLayer } from './layers/pad.ts';
import { ClipLayer, LeakyReluLayer } from './layers/pass-through-activations.ts';
import { ReluLayer } from './layers/relu.ts';
import { ReshapeLayer } from './layers/reshape.ts';
import { StandardizeLayer } from './layers/standardize.ts';
import { TransposeLayer } from './layers/transpose.ts';

export interface TensorSpec {
  shape: number[];
  values: Float32Array;
}

type Pool = { name: string; poolSize: [number, number]; strides: [number, number]; padding: Padding };
type Weighted = { name: string; weight: TensorSpec; bias: TensorSpec | null };
export type LayerSpec =
  | ({ kind: 'dense' | 'affine' } & Weighted)
  | ({ kind: 'conv2d'; strides: [number, number]; padding: Padding; options: ConvOptions } & Weighted)
  | ({ kind: 'max-pooling2d' | 'average-pooling2d' } & Pool)
  | { kind: 'global-average-pooling2d' | 'relu' | 'identity' | 'add'; name: string }
  | { kind: 'reshape'; name: string; targetShape: number[] }
  | { kind: 'transpose'; name: string; perm: number[] }
  | { kind: 'pad'; name: string; paddings: [number, number][] }
  | { kind: 'leaky-relu'; name: string; alpha: number }
  | { kind: 'clip'; name: string; low: number; high: number }
  | { kind: 'concat'; name: string; axis: number }
  | { kind: 'standardize'; name: string; mean: Float32Array; scale: Float32Array };

export interface NetworkSpec {
  inputShape: number[];
  layers: LayerSpec[];
  sources: number[][];
}

const toSpec = (t: tf.Tensor): TensorSpec => ({
  shape: [...t.shape],
  values: Float32Array.from(t.dataSync() as Float32Array),
});
const fromSpec = (s: TensorSpec): tf.Tensor => tf.tensor(s.values, s.shape, 'float32');

function layerSpec(layer: NetworkLayer): LayerSpec {
  const { name } = layer;
  if (layer instanceof DenseLayer || layer instanceof AffineLayer)
    return { kind: layer.kind, name, weight: toSpec(layer.weight), bias: layer.bias && toSpec(layer.bias) };
  if (layer instanceof Conv2DLayer) {
    return {
      kind: 'conv2d',
      name,
      weight: toSpec(layer.weight),
      bias: layer.bias && toSpec(layer.bias),
      strides: layer.strides,
      padding: layer.padding,
      options: layer.options,
    };
  }
  if (layer instanceof MaxPooling2DLayer || layer instanceof AveragePooling2DLayer) {
    return { kind: layer.kind, name, poolSize: layer.poolSize, strides: layer.strides, padding: layer.padding };
  }
  if (
    layer instanceof GlobalAveragePooling2DLayer ||
    layer instanceof ReluLayer ||
    layer instanceof IdentityLayer ||
    layer instanceof AddLayer
  ) {
    return { kind: layer.kind, name };
  }
  if (layer instanceof ReshapeLayer) return { kind: 'reshape', name, targetShape: [...layer.targetShape] };
  if (layer instanceof TransposeLayer) return { kind: 'transpose', name, perm: [...layer.perm] };
  if (layer instanceof PadLayer) return { kind: 'pad', name, paddings: layer.paddings.map(([b, a]) => [b, a]) };
  if (layer instanceof LeakyReluLayer) return { kind: 'leaky-relu', name, alpha: layer.alpha };
  if (layer instanceof ClipLayer) return { kind: 'clip', name, low: layer.low, high: layer.high };
  if (layer instanceof ConcatLayer) return { kind: 'concat', name, axis: layer.axis };
  if (layer instanceof StandardizeLayer)
    return { kind: 'standardize', name, mean: toSpec(layer.mean).values, scale: toSpec(layer.scale).values };
  throw new UnsendableLayerError(`layer '${layer.name}' of kind '${layer.kind}' cannot be sent to a worker thread`);
}

function layerFromSpec(spec: LayerSpec): NetworkLayer {
  switch (spec.kind) {
    case 'dense':
      return new DenseLayer(spec.name, fromSpec(spec.weight), spec.bias && fromSpec(spec.bias));
    case 'affine':
      return new AffineLayer(spec.name, fromSpec(spec.weight), spec.bias && fromSpec(spec.bias));
    case 'conv2d':
      return new Conv2DLayer(
        spec.name,
        fromSpec(spec.weight),
        spec.bias && fromSpec(spec.bias),
        spec.strides,
        spec.padding,
        spec.options,
      );
    case 'max-pooling2d':
      return new MaxPooling2DLayer(spec.name, spec.poolSize, spec.strides, spec.padding);
    case 'average-pooling2d':
      return new AveragePooling2DLayer(spec.name, spec.poolSize, spec.strides, spec.padding);
    case 'global-average-pooling2d':
      return new GlobalAveragePooling2DLayer(spec.name);
    case 'relu':
      return new ReluLayer(spec.name);
    case 'identity':
      return new IdentityLayer(spec.name);
    case 'add':
      return new AddLayer(spec.name);
    case 'reshape':
      return new ReshapeLayer(spec.name, spec.targetShape);
    case 'transpose':
      return new TransposeLayer(spec.name, spec.perm);
    case 'pad':
      return new PadLayer(spec.name, spec.paddings);
    case 'leaky-relu':
      return new LeakyReluLayer(spec.name, spec.alpha);
    case 'clip':
      return new ClipLayer(spec.name, spec.low, spec.high);
    case 'concat':
      return new ConcatLayer(spec.name, spec.axis);
    case 'standardize':
      return new StandardizeLayer(spec.name, spec.mean, spec.scale);
  }
}

/** A layer that only the thread which built it can run: the caller falls back to that thread. */
export class UnsendableLayerError extends Error {}

/** The network as data (weights copied); throws for layers this engine did not build. */
export function networkToSpec(network: ExplainableNetwork): NetworkSpec {
  return {
    inputShape: [...network.inputShape],
    layers: network.layers.map(layerSpec),
    sources: network.sources.map((s) => [...s]),
  };
}

export function networkFromSpec(spec: NetworkSpec): ExplainableNetwork {
  return new ExplainableNetwork(spec.layers.map(layerFromSpec), spec.inputShape, spec.sources);
}
