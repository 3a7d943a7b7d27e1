/**
 * Read a tfjs LayersModel (Sequential or functional, nested models included) into an explainable
 * network: the layer graph is followed from the output back to the input (Add and Concatenate
 * join branches, a tensor read twice fans out), fused activations are split off as their own
 * layers, batch normalisation is folded into the linear layer before it (else kept as an affine
 * layer), separable convolutions become a depthwise and a pointwise convolution, dropout becomes
 * the identity, and a final softmax or sigmoid is dropped (explanations start from the logits).
 * The network owns copies of the weights.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { fuseBatchNorm } from './canonizers.ts';
import { ExplainableNetwork, NETWORK_INPUT, type NetworkLayer } from './network.ts';
import { AddLayer } from './layers/add.ts';
import { AffineLayer } from './layers/affine.ts';
import { AveragePooling2DLayer } from './layers/average-pooling2d.ts';
import { ConcatLayer } from './layers/concat.ts';
import { Conv2DLayer, type Padding } from './layers/conv2d.ts';
import { Conv2DTransposeLayer } from './layers/conv2d-transpose.ts';
import { DenseLayer } from './layers/dense.ts';
import { GlobalAveragePooling2DLayer } from './layers/global-average-pooling2d.ts';
import { IdentityLayer } from './layers/identity.ts';
import { MaxPooling2DLayer } from './layers/max-pooling2d.ts';
import { PadLayer } from './layers/pad.ts';
import { ClipLayer, LeakyReluLayer } from './layers/pass-through-activations.ts';
import { ReluLayer } from './layers/relu.ts';
import { ReshapeLayer } from './layers/reshape.ts';

type TfLayer = tf.layers.Layer;
type SymbolicTensor = tf.SymbolicTensor;
type Config = Record<string, unknown>;

export const SUPPORTED_LAYER_CLASSES = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'Conv2DTranspose',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'ZeroPadding2D',
  'Flatten',
  'Reshape',
  'Dropout',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'BatchNormalization',
  'Add',
  'Concatenate',
  'Sequential',
  'Model',
] as const;

/** Activations that may end the model: dropped, so that the logit is explained. */
const OUTPUT_SQUASHERS = new Set(['softmax', 'sigmoid']);

function describe(layer: TfLayer): string {
  return `layer '${layer.name}' (${layer.getClassName()})`;
}

function unsupported(layer: TfLayer, why: string): UserError {
  return new UserError(`cannot explain ${describe(layer)}: ${why}`);
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
function activationLayers(layer: TfLayer, name: string, activation: string, isLast: boolean): NetworkLayer[] {
  if (activation === 'linear') return [];
  if (activation === 'relu') return [new ReluLayer(name)];
  if (activation === 'relu6') return [new ClipLayer(name, 0, 6)];
  if (isLast && OUTPUT_SQUASHERS.has(activation)) return [];
  throw unsupported(
    layer,
    `activation '${activation}'; allowed: relu, relu6, linear (and softmax or sigmoid at the very end, which is dropped to explain the logits)`,
  );
}

function weightsOf(layer: TfLayer): tf.Tensor[] {
  return layer.getWeights().map((w) => tf.clone(w));
}

/** A depthwise kernel [kh, kw, in, multiplier] as a grouped convolution's [kh, kw, 1, in · multiplier]. */
function depthwiseConv(layer: TfLayer, config: Config, name: string, kernel: tf.Tensor, bias: tf.Tensor | null) {
  const [kh, kw, channels, multiplier] = kernel.shape;
  const grouped = tf.reshape(kernel, [kh, kw, 1, channels * multiplier]);
  kernel.dispose();
  return new Conv2DLayer(name, grouped, bias, pair(config.strides, [1, 1]), padding(layer, config), {
    dilations: pair(config.dilationRate, [1, 1]),
    groups: channels,
  });
}

/** The layers one tfjs layer becomes, in order (a chain). */
function convert(layer: TfLayer, isLast: boolean): NetworkLayer[] {
  const config = layer.getConfig() as Config;
  const cls = layer.getClassName();
  const activation = (config.activation as string | undefined) ?? 'linear';
  const activated = (...layers: NetworkLayer[]) => {
    try {
      return [...layers, ...activationLayers(layer, `${layer.name}/${activation}`, activation, isLast)];
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
  };
  switch (cls) {
    case 'Dense': {
      const [kernel, bias] = weightsOf(layer);
      return activated(new DenseLayer(layer.name, kernel, config.useBias ? bias : null));
    }
    case 'Conv2D': {
      requireChannelsLast(layer, config);
      const pad = padding(layer, config);
      const [kernel, bias] = weightsOf(layer);
      const dilations = pair(config.dilationRate, [1, 1]);
      const strides = pair(config.strides, [1, 1]);
      return activated(new Conv2DLayer(layer.name, kernel, config.useBias ? bias : null, strides, pad, { dilations }));
    }
    case 'Conv2DTranspose': {
      requireChannelsLast(layer, config);
      const dilations = pair(config.dilationRate, [1, 1]);
      if (dilations[0] !== 1 || dilations[1] !== 1)
        throw unsupported(layer, `dilation rate [${dilations}]; only 1 is supported for transposed convolutions`);
      const pad = config.padding;
      if (pad !== 'same' && pad !== 'valid') throw unsupported(layer, `padding '${String(pad)}'; allowed: same, valid`);
      const [kernel, bias] = weightsOf(layer);
      const strides = pair(config.strides, [1, 1]);
      return activated(new Conv2DTransposeLayer(layer.name, kernel, config.useBias ? bias : null, strides, pad));
    }
    case 'DepthwiseConv2D': {
      requireChannelsLast(layer, config);
      const [kernel, bias] = weightsOf(layer);
      return activated(depthwiseConv(layer, config, layer.name, kernel, config.useBias ? bias : null));
    }
    case 'SeparableConv2D': {
      requireChannelsLast(layer, config);
      const [depthwise, pointwise, bias] = weightsOf(layer);
      return activated(
        depthwiseConv(layer, config, `${layer.name}/depthwise`, depthwise, null),
        new Conv2DLayer(layer.name, pointwise, config.useBias ? bias : null, [1, 1], 'valid'),
      );
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
    case 'ZeroPadding2D': {
      requireChannelsLast(layer, config);
      const p = config.padding as number | [number, number] | [[number, number], [number, number]];
      const [rows, cols] =
        typeof p === 'number'
          ? [[p, p] as const, [p, p] as const]
          : typeof p[0] === 'number'
            ? [[p[0], p[0]] as const, [p[1], p[1]] as const]
            : (p as [[number, number], [number, number]]);
      return [new PadLayer(layer.name, [rows as [number, number], cols as [number, number], [0, 0]])];
    }
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
      return [
        config.maxValue != null ? new ClipLayer(layer.name, 0, config.maxValue as number) : new ReluLayer(layer.name),
      ];
    case 'LeakyReLU':
      return [new LeakyReluLayer(layer.name, (config.alpha as number | undefined) ?? 0.3)];
    case 'Softmax':
      if (!isLast)
        throw unsupported(layer, 'softmax is only allowed as the last layer (it is dropped to explain the logits)');
      return [];
    case 'Add':
      return [new AddLayer(layer.name)];
    case 'Concatenate':
      return [new ConcatLayer(layer.name, (config.axis as number | undefined) ?? -1)];
    default:
      throw unsupported(layer, `unsupported layer class; supported: ${SUPPORTED_LAYER_CLASSES.join(', ')}`);
  }
}

class GraphReader {
  readonly layers: NetworkLayer[] = [];
  readonly sources: number[][] = [];
  /** symbolic tensor id → index of the layer that makes it (NETWORK_INPUT for the input) */
  private readonly made = new Map<number, number>();
  /** symbolic tensor id → how many layer calls read it */
  private readonly reads = new Map<number, number>();

  constructor(private readonly finalOutput: SymbolicTensor) {}

  private append(layer: NetworkLayer, from: number[]): number {
    this.layers.push(layer);
    this.sources.push(from);
    return this.layers.length - 1;
  }

  private countReads(model: tf.LayersModel): void {
    for (const layer of model.layers) {
      for (const node of layer.inboundNodes) {
        for (const t of node.inputTensors) this.reads.set(t.id, (this.reads.get(t.id) ?? 0) + 1);
      }
    }
  }

  /** Adds the layers of `model` with its input read from `input`; returns the layer making its output. */
  readModel(model: tf.LayersModel, input: number): number {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new UserError(
        `cannot explain model '${model.name}': it has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output models are supported`,
      );
    }
    this.countReads(model);
    this.made.set(model.inputs[0].id, input);
    return this.read(model.outputs[0]);
  }

  private read(t: SymbolicTensor): number {
    const known = this.made.get(t.id);
    if (known !== undefined) return known;
    const layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex];
    const from = node.inputTensors.map((i) => this.read(i));
    let index: number;
    if (layer instanceof tf.LayersModel) {
      if (from.length !== 1) throw unsupported(layer, 'a nested model must take one input');
      index = this.readModel(layer, from[0]);
    } else if (layer.getClassName() === 'BatchNormalization') {
      index = this.batchNorm(layer, node.inputTensors[0], from[0]);
    } else {
      const converted = convert(layer, t === this.finalOutput);
      index = from.length === 1 ? from[0] : NETWORK_INPUT;
      if (converted.length === 0) {
        if (from.length !== 1) throw unsupported(layer, 'it joins several inputs but computes nothing');
      } else {
        index = this.append(converted[0], from);
        for (const next of converted.slice(1)) index = this.append(next, [index]);
      }
    }
    this.made.set(t.id, index);
    return index;
  }

  /** Folded into the dense/conv layer that alone feeds it, else an affine layer on the channel axis. */
  private batchNorm(layer: TfLayer, input: SymbolicTensor, from: number): number {
    const config = layer.getConfig() as Config;
    const axis = config.axis as number | number[];
    const axes = Array.isArray(axis) ? axis : [axis];
    const rank = input.shape.length;
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) {
      throw unsupported(layer, `axis ${JSON.stringify(axis)}; only the last (channel) axis is supported`);
    }
    const weights = weightsOf(layer);
    const gamma = config.scale ? weights.shift()! : null;
    const beta = config.center ? weights.shift()! : null;
    const [movingMean, movingVariance] = weights;
    const epsilon = config.epsilon as number;
    const previous = from >= 0 ? this.layers[from] : null;
    let index: number;
    if ((previous instanceof DenseLayer || previous instanceof Conv2DLayer) && this.reads.get(input.id) === 1) {
      this.layers[from] = fuseBatchNorm(previous, { gamma, beta, movingMean, movingVariance, epsilon });
      index = from;
    } else {
      const [scale, shift] = tf.tidy(() => {
        const s = tf.rsqrt(tf.add(movingVariance, epsilon));
        const scaled = gamma ? tf.mul(s, gamma) : s;
        const shifted = tf.neg(tf.mul(movingMean, scaled));
        return [scaled, beta ? tf.add(shifted, beta) : shifted];
      });
      index = this.append(new AffineLayer(layer.name, scale, shift), [from]);
    }
    tf.dispose([gamma, beta, movingMean, movingVariance].filter((t): t is tf.Tensor => t !== null));
    return index;
  }
}

/** An explainable network computing the same function as `model` (up to a final softmax/sigmoid). */
export function fromLayersModel(model: tf.LayersModel): ExplainableNetwork {
  const inputShape = model.inputs[0]?.shape.slice(1) ?? [];
  if (inputShape.some((d) => d == null)) {
    throw new UserError(
      `cannot explain model '${model.name}': its input shape [${inputShape.join(', ')}] is not fully defined`,
    );
  }
  const reader = new GraphReader(model.outputs[0]);
  try {
    const output = reader.readModel(model, NETWORK_INPUT);
    if (output === NETWORK_INPUT) throw new UserError(`cannot explain model '${model.name}': it computes nothing`);
    const network = new ExplainableNetwork(reader.layers, inputShape as number[], reader.sources).upToLayer(output);
    for (const layer of reader.layers) if (!network.layers.includes(layer)) layer.dispose();
    return network;
  } catch (e) {
    for (const l of reader.layers) l.dispose();
    throw e;
  }
}
