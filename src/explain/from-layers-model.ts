/**
 * Read a tfjs LayersModel (Sequential, or a functional model shaped as a chain) into an
 * explainable network: fused activations are split off as their own layers, batch normalisation
 * is folded into the linear layer before it, dropout becomes the identity, and a final softmax or
 * sigmoid is dropped (explanations start from the logits). The network owns copies of the weights.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { fuseBatchNorm } from './canonizers.ts';
import { ExplainableNetwork, type ExplainableLayer } from './network.ts';
import { AveragePooling2DLayer } from './layers/average-pooling2d.ts';
import { Conv2DLayer, type Padding } from './layers/conv2d.ts';
import { Conv2DTransposeLayer } from './layers/conv2d-transpose.ts';
import { DenseLayer } from './layers/dense.ts';
import { GlobalAveragePooling2DLayer } from './layers/global-average-pooling2d.ts';
import { IdentityLayer } from './layers/identity.ts';
import { MaxPooling2DLayer } from './layers/max-pooling2d.ts';
import { ReluLayer } from './layers/relu.ts';
import { ReshapeLayer } from './layers/reshape.ts';

type TfLayer = tf.layers.Layer;
type Config = Record<string, unknown>;

export const SUPPORTED_LAYER_CLASSES = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'Conv2DTranspose',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'Activation',
  'ReLU',
  'Softmax',
  'BatchNormalization',
] as const;

/** Activations that may end the model: dropped, so that the logit is explained. */
const OUTPUT_SQUASHERS = new Set(['softmax', 'sigmoid']);

function describe(layer: TfLayer): string {
  return `layer '${layer.name}' (${layer.getClassName()})`;
}

function unsupported(layer: TfLayer, why: string): UserError {
  return new UserError(`cannot explain ${describe(layer)}: ${why}`);
}

/** The model's layers from input to output; throws unless it is one unbranched chain. */
function chainOf(model: tf.LayersModel): TfLayer[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(
      `cannot explain model '${model.name}': it has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output chains are supported`,
    );
  }
  const chain: TfLayer[] = [];
  let tensor = model.outputs[0];
  while (tensor.sourceLayer.getClassName() !== 'InputLayer') {
    const layer = tensor.sourceLayer;
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (node.inputTensors.length !== 1) {
      throw unsupported(
        layer,
        `it takes ${node.inputTensors.length} inputs; only chain-shaped models (each layer fed by the one before) are supported`,
      );
    }
    chain.unshift(layer);
    tensor = node.inputTensors[0];
  }
  const onChain = new Set(chain);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'InputLayer' && !onChain.has(layer)) {
      throw unsupported(
        layer,
        'it is off the path from input to output (a branching graph); only chain-shaped models are supported',
      );
    }
  }
  return chain;
}

function pair(value: unknown, fallback: [number, number]): [number, number] {
  if (value == null) return fallback;
  if (typeof value === 'number') return [value, value];
  const [a, b] = value as number[];
  return [a, b ?? a];
}

function padding(layer: TfLayer, config: Config): Padding {
  const p = config.padding;
  if (p !== 'same' && p !== 'valid') throw unsupported(layer, `padding '${String(p)}'; allowed: same, valid`);
  return p;
}

function requireChannelsLast(layer: TfLayer, config: Config): void {
  if (config.dataFormat != null && config.dataFormat !== 'channelsLast') {
    throw unsupported(layer, `data format '${String(config.dataFormat)}'; only channelsLast (NHWC) is supported`);
  }
}

/** The explainable layers for one activation function. */
function activationLayers(layer: TfLayer, name: string, activation: string, isLast: boolean): ExplainableLayer[] {
  if (activation === 'linear') return [];
  if (activation === 'relu') return [new ReluLayer(name)];
  if (isLast && OUTPUT_SQUASHERS.has(activation)) return [];
  throw unsupported(
    layer,
    `activation '${activation}'; allowed: relu, linear (and softmax or sigmoid at the very end, which is dropped to explain the logits)`,
  );
}

function weightsOf(layer: TfLayer): tf.Tensor[] {
  return layer.getWeights().map((w) => tf.clone(w));
}

function convert(layer: TfLayer, isLast: boolean): ExplainableLayer[] {
  const config = layer.getConfig() as Config;
  const cls = layer.getClassName();
  const activation = (config.activation as string | undefined) ?? 'linear';
  switch (cls) {
    case 'Dense': {
      const [kernel, bias] = weightsOf(layer);
      const dense = new DenseLayer(layer.name, kernel, config.useBias ? bias : null);
      return [dense, ...activationLayers(layer, `${layer.name}/${activation}`, activation, isLast)];
    }
    case 'Conv2D':
    case 'Conv2DTranspose': {
      requireChannelsLast(layer, config);
      const dilation = pair(config.dilationRate, [1, 1]);
      if (dilation[0] !== 1 || dilation[1] !== 1)
        throw unsupported(layer, `dilation rate [${dilation}]; only 1 is supported`);
      const pad = padding(layer, config);
      const [kernel, bias] = weightsOf(layer);
      const args = [layer.name, kernel, config.useBias ? bias : null, pair(config.strides, [1, 1]), pad] as const;
      const conv = cls === 'Conv2D' ? new Conv2DLayer(...args) : new Conv2DTransposeLayer(...args);
      return [conv, ...activationLayers(layer, `${layer.name}/${activation}`, activation, isLast)];
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      requireChannelsLast(layer, config);
      const size = pair(config.poolSize, [2, 2]);
      const args = [layer.name, size, pair(config.strides, size), padding(layer, config)] as const;
      return [cls === 'MaxPooling2D' ? new MaxPooling2DLayer(...args) : new AveragePooling2DLayer(...args)];
    }
    case 'GlobalAveragePooling2D':
      requireChannelsLast(layer, config);
      return [new GlobalAveragePooling2DLayer(layer.name)];
    case 'Flatten':
      return [new ReshapeLayer(layer.name, [-1])];
    case 'Reshape':
      return [new ReshapeLayer(layer.name, config.targetShape as number[])];
    case 'Dropout':
      return [new IdentityLayer(layer.name)];
    case 'Activation':
      return activation === 'linear'
        ? [new IdentityLayer(layer.name)]
        : activationLayers(layer, layer.name, activation, isLast);
    case 'ReLU':
      if (config.maxValue != null)
        throw unsupported(layer, `maxValue ${String(config.maxValue)}; only a plain ReLU is supported`);
      return [new ReluLayer(layer.name)];
    case 'Softmax':
      if (!isLast)
        throw unsupported(layer, 'softmax is only allowed as the last layer (it is dropped to explain the logits)');
      return [];
    default:
      throw unsupported(layer, `unsupported layer class; supported: ${SUPPORTED_LAYER_CLASSES.join(', ')}`);
  }
}

/** Batch normalisation folds into the dense/conv layer just before it (which must have no activation). */
function foldBatchNorm(layer: TfLayer, layers: ExplainableLayer[]): void {
  const config = layer.getConfig() as Config;
  const previous = layers[layers.length - 1];
  if (!(previous instanceof DenseLayer || previous instanceof Conv2DLayer)) {
    throw unsupported(
      layer,
      `batch normalisation can only be fused into a Dense or Conv2D layer without activation directly before it, but it follows '${previous?.name ?? 'the input'}'`,
    );
  }
  const axis = config.axis as number | number[];
  const axes = Array.isArray(axis) ? axis : [axis];
  const rank = previous instanceof Conv2DLayer ? 4 : 2;
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) {
    throw unsupported(layer, `axis ${JSON.stringify(axis)}; only the last (channel) axis can be fused`);
  }
  const weights = weightsOf(layer);
  const gamma = config.scale ? weights.shift()! : null;
  const beta = config.center ? weights.shift()! : null;
  const [movingMean, movingVariance] = weights;
  layers[layers.length - 1] = fuseBatchNorm(previous, {
    gamma,
    beta,
    movingMean,
    movingVariance,
    epsilon: config.epsilon as number,
  });
  tf.dispose([gamma, beta, movingMean, movingVariance].filter((t): t is tf.Tensor => t !== null));
}

/** An explainable network computing the same function as `model` (up to a final softmax/sigmoid). */
export function fromLayersModel(model: tf.LayersModel): ExplainableNetwork {
  const chain = chainOf(model);
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((d) => d == null)) {
    throw new UserError(
      `cannot explain model '${model.name}': its input shape [${inputShape.join(', ')}] is not fully defined`,
    );
  }
  const layers: ExplainableLayer[] = [];
  try {
    chain.forEach((layer, k) => {
      if (layer instanceof tf.LayersModel)
        throw unsupported(layer, 'nested models are not supported; build one flat model');
      if (layer.getClassName() === 'BatchNormalization') foldBatchNorm(layer, layers);
      else layers.push(...convert(layer, k === chain.length - 1));
    });
  } catch (e) {
    for (const l of layers) l.dispose();
    throw e;
  }
  return new ExplainableNetwork(layers, inputShape as number[]);
}
