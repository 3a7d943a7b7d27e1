/**
 * An explainable network as plain data (layer kinds, settings and weight arrays), so that it can be
 * posted to a worker thread and rebuilt there. Only the layers this engine builds are covered;
 * a network with other layers (appended by other modules) is not serialisable.
 */
import { tf } from '../runtime/runtime.ts';
import { ExplainableNetwork, type ExplainableLayer } from './network.ts';
import { AveragePooling2DLayer } from './layers/average-pooling2d.ts';
import { Conv2DLayer, type Padding } from './layers/conv2d.ts';
import { DenseLayer } from './layers/dense.ts';
import { GlobalAveragePooling2DLayer } from './layers/global-average-pooling2d.ts';
import { IdentityLayer } from './layers/identity.ts';
import { MaxPooling2DLayer } from './layers/max-pooling2d.ts';
import { ReluLayer } from './layers/relu.ts';
import { ReshapeLayer } from './layers/reshape.ts';

export interface TensorSpec {
  shape: number[];
  values: Float32Array;
}

type Pool = { name: string; poolSize: [number, number]; strides: [number, number]; padding: Padding };
export type LayerSpec =
  | { kind: 'dense'; name: string; weight: TensorSpec; bias: TensorSpec | null }
  | {
      kind: 'conv2d';
      name: string;
      weight: TensorSpec;
      bias: TensorSpec | null;
      strides: [number, number];
      padding: Padding;
    }
  | ({ kind: 'max-pooling2d' | 'average-pooling2d' } & Pool)
  | { kind: 'global-average-pooling2d' | 'relu' | 'identity'; name: string }
  | { kind: 'reshape'; name: string; targetShape: number[] };

export interface NetworkSpec {
  inputShape: number[];
  layers: LayerSpec[];
}

const toSpec = (t: tf.Tensor): TensorSpec => ({
  shape: [...t.shape],
  values: Float32Array.from(t.dataSync() as Float32Array),
});
const fromSpec = (s: TensorSpec): tf.Tensor => tf.tensor(s.values, s.shape, 'float32');

function layerSpec(layer: ExplainableLayer): LayerSpec {
  const { name } = layer;
  if (layer instanceof DenseLayer)
    return { kind: 'dense', name, weight: toSpec(layer.weight), bias: layer.bias && toSpec(layer.bias) };
  if (layer instanceof Conv2DLayer) {
    return {
      kind: 'conv2d',
      name,
      weight: toSpec(layer.weight),
      bias: layer.bias && toSpec(layer.bias),
      strides: layer.strides,
      padding: layer.padding,
    };
  }
  if (layer instanceof MaxPooling2DLayer || layer instanceof AveragePooling2DLayer) {
    return { kind: layer.kind, name, poolSize: layer.poolSize, strides: layer.strides, padding: layer.padding };
  }
  if (layer instanceof GlobalAveragePooling2DLayer || layer instanceof ReluLayer || layer instanceof IdentityLayer) {
    return { kind: layer.kind, name };
  }
  if (layer instanceof ReshapeLayer) return { kind: 'reshape', name, targetShape: [...layer.targetShape] };
  throw new Error(`layer '${layer.name}' of kind '${layer.kind}' cannot be sent to a worker thread`);
}

function layerFromSpec(spec: LayerSpec): ExplainableLayer {
  switch (spec.kind) {
    case 'dense':
      return new DenseLayer(spec.name, fromSpec(spec.weight), spec.bias && fromSpec(spec.bias));
    case 'conv2d':
      return new Conv2DLayer(
        spec.name,
        fromSpec(spec.weight),
        spec.bias && fromSpec(spec.bias),
        spec.strides,
        spec.padding,
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
    case 'reshape':
      return new ReshapeLayer(spec.name, spec.targetShape);
  }
}

/** The network as data (weights copied); throws for layers this engine did not build. */
export function networkToSpec(network: ExplainableNetwork): NetworkSpec {
  return { inputShape: [...network.inputShape], layers: network.layers.map(layerSpec) };
}

export function networkFromSpec(spec: NetworkSpec): ExplainableNetwork {
  return new ExplainableNetwork(spec.layers.map(layerFromSpec), spec.inputShape);
}
