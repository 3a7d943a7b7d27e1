/**
 * An ONNX model (PyTorch's torch.onnx.export, Keras through tf2onnx) as an explainable network:
 * every operator maps onto the engine's layers, initializers become the weights, batch
 * normalisation folds into the convolution or dense layer before it (else stays as an affine
 * layer), shape arithmetic on constants (Shape → Gather → Concat → Reshape) is evaluated here, and
 * a final softmax/sigmoid is dropped so that the logits are explained. NCHW images are held as NHWC
 * (layout.ts); a Keras export whose input is NHWC keeps it. The network takes inputs as the data
 * loaders give them: images [H, W, C].
 */
import { tf } from '../../runtime/runtime.ts';
import { UserError } from '../../errors.ts';
import { fuseBatchNorm } from '../canonizers.ts';
import { ExplainableNetwork, NETWORK_INPUT, isJoin, type NetworkLayer } from '../network.ts';
import { AddLayer } from '../layers/add.ts';
import { AffineLayer } from '../layers/affine.ts';
import { AveragePooling2DLayer } from '../layers/average-pooling2d.ts';
import { ConcatLayer } from '../layers/concat.ts';
import { Conv2DLayer, type Padding } from '../layers/conv2d.ts';
import { DenseLayer } from '../layers/dense.ts';
import { GlobalAveragePooling2DLayer } from '../layers/global-average-pooling2d.ts';
import { MaxPooling2DLayer } from '../layers/max-pooling2d.ts';
import { PadLayer } from '../layers/pad.ts';
import { ClipLayer, LeakyReluLayer } from '../layers/pass-through-activations.ts';
import { ReluLayer } from '../layers/relu.ts';
import { ReshapeLayer } from '../layers/reshape.ts';
import { TransposeLayer } from '../layers/transpose.ts';
import { channelsLast, identityPerm, onnxShape, samePerm, transposeBetween, type Perm } from './layout.ts';
import { FOLDABLE_OPERATORS, foldConstant } from './constant-folding.ts';
import { readOnnxFile, tensorValues, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-file.ts';

/** A tensor of the network: which layer makes it, its shape as held (batch 1) and its layout. */
interface Held {
  source: number;
  shape: number[];
  perm: Perm;
}

/** A value known while reading the file; NaN stands for the batch size in shape arithmetic. */
type Value = { held: Held } | { constant: OnnxTensor };

class NodeError extends Error {}

const fail = (why: string): never => {
  throw new NodeError(why);
};

const OUTPUT_SQUASHERS = new Set(['Softmax', 'LogSoftmax', 'Sigmoid']);

type Handler = (node: OnnxNode, b: Builder) => void;

const product = (v: readonly number[]) => v.reduce((a, c) => a * c, 1);

class Builder {
  readonly layers: NetworkLayer[] = [];
  readonly sources: number[][] = [];
  private readonly values = new Map<string, Value>();
  private readonly names = new Set<string>();

  constructor(
    readonly model: OnnxModel,
    /** how many nodes (and the graph output) read each value */
    readonly uses: Map<string, number>,
    /** the batch size the file declares, or null when it is symbolic */
    readonly batch: number | null,
  ) {
    for (const [name, t] of model.initializers) this.values.set(name, { constant: t });
  }

  setTensor(name: string, held: Held): void {
    this.values.set(name, { held });
  }

  setConstant(name: string, constant: OnnxTensor): void {
    this.values.set(name, { constant });
  }

  isConstant(name: string | undefined): boolean {
    return !!name && this.values.has(name) && 'constant' in this.values.get(name)!;
  }

  tensor(name: string): Held {
    const v = this.values.get(name);
    if (!v) return fail(`its input '${name}' is not computed by any supported node`);
    if ('constant' in v) return fail(`its input '${name}' is a constant where a tensor of the network is expected`);
    return v.held;
  }

  constant(name: string | undefined, what: string): OnnxTensor {
    const v = name ? this.values.get(name) : undefined;
    if (!v || !('constant' in v)) return fail(`its ${what} must be a constant (an initializer), but '${name}' is not`);
    return v.constant;
  }

  optionalConstant(name: string | undefined, what: string): OnnxTensor | null {
    return name ? this.constant(name, what) : null;
  }

  unique(name: string): string {
    let candidate = name;
    for (let k = 2; this.names.has(candidate); k++) candidate = `${name}_${k}`;
    this.names.add(candidate);
    return candidate;
  }

  /** Appends `layer` fed by `inputs` and works out its output shape on a batch of one. */
  add(layer: NetworkLayer, inputs: Held[], perm: Perm): Held {
    const shape = tf.tidy(() => {
      const probes = inputs.map((h) => tf.zeros(h.shape));
      const out = isJoin(layer) ? layer.forward(probes) : layer.forward(probes[0]);
      return [...out.shape];
    });
    this.layers.push(layer);
    this.sources.push(inputs.map((h) => h.source));
    return { source: this.layers.length - 1, shape, perm };
  }

  /** The tensor held in layout `perm`: a transpose layer when it is held otherwise. */
  inLayout(h: Held, perm: Perm, name: string): Held {
    if (samePerm(h.perm, perm)) return h;
    if (h.perm.length !== perm.length)
      return fail(`a tensor of rank ${h.perm.length} cannot be held as rank ${perm.length}`);
    return this.add(new TransposeLayer(this.unique(`${name}/layout`), transposeBetween(h.perm, perm)), [h], perm);
  }

  /** The layer that makes `h` when nothing else reads it: a linear layer may then absorb what follows. */
  soleProducer(valueName: string, h: Held): NetworkLayer | null {
    return h.source >= 0 && this.uses.get(valueName) === 1 ? this.layers[h.source] : null;
  }
}

function attribute(node: OnnxNode, name: string) {
  return node.attribute.find((a) => a.name === name);
}
const intAttr = (node: OnnxNode, name: string, fallback: number) => attribute(node, name)?.i ?? fallback;
const floatAttr = (node: OnnxNode, name: string, fallback: number) => attribute(node, name)?.f ?? fallback;
const intsAttr = (node: OnnxNode, name: string): number[] | null => attribute(node, name)?.ints ?? null;
function stringAttr(node: OnnxNode, name: string, fallback: string): string {
  const s = attribute(node, name)?.s;
  return s ? new TextDecoder().decode(s) : fallback;
}

const layerName = (node: OnnxNode) => node.name || node.output[0];

function pair(values: number[] | null, fallback: number, what: string): [number, number] {
  if (!values) return [fallback, fallback];
  if (values.length !== 2) return fail(`${what} [${values}]: only 2-D operations are supported`);
  return [values[0], values[1]];
}

/** auto_pad and pads [top, left, bottom, right] → the engine's padding. */
function paddingOf(node: OnnxNode): Padding {
  const auto = stringAttr(node, 'auto_pad', 'NOTSET');
  if (auto === 'VALID') return 'valid';
  if (auto === 'SAME_UPPER') return 'same';
  if (auto !== 'NOTSET') return fail(`auto_pad ${auto} is not supported (VALID, SAME_UPPER or explicit pads are)`);
  const pads = intsAttr(node, 'pads') ?? [0, 0, 0, 0];
  if (pads.length !== 4) return fail(`pads [${pads}]: only 2-D operations are supported`);
  const [top, left, bottom, right] = pads;
  return pads.every((p) => p === 0) ? 'valid' : [top, bottom, left, right];
}

function tensorFrom(t: OnnxTensor, shape: number[] = t.dims): tf.Tensor {
  return tf.tensor(Float32Array.from(t.values), shape, 'float32');
}

/** A constant operand broadcast against a tensor held as `h`: a scalar or one value per held channel. */
function channelVector(c: OnnxTensor, h: Held): Float32Array | number {
  const onnx = onnxShape(h.shape, h.perm);
  const rank = onnx.length;
  if (c.dims.length > rank) return fail(`a constant of shape [${c.dims}] does not broadcast onto [${onnx}]`);
  const dims = [...Array<number>(rank - c.dims.length).fill(1), ...c.dims];
  const channelAxis = h.perm[rank - 1];
  for (let axis = 0; axis < rank; axis++) {
    if (dims[axis] !== 1 && (axis !== channelAxis || dims[axis] !== onnx[axis])) {
      return fail(
        `a constant of shape [${c.dims}] varies along an axis other than the channels of [${onnx}]; only scalars and per-channel constants are supported`,
      );
    }
  }
  if (c.values.length === 1) return c.values[0];
  return Float32Array.from(c.values);
}

/** Axes given as an attribute (older opsets) or as the second input (newer ones), made non-negative. */
function axesOf(node: OnnxNode, b: Builder, rank: number): number[] | null {
  const given = intsAttr(node, 'axes') ?? (node.input[1] ? Array.from(b.constant(node.input[1], 'axes').values) : null);
  return given && given.map((a) => (a < 0 ? a + rank : a));
}

function linearBias(layer: DenseLayer | Conv2DLayer, extra: Float32Array | number): NetworkLayer {
  const [weight, bias] = tf.tidy(() => {
    const width = layer.weight.shape[layer.weight.rank - 1] as number;
    const add = typeof extra === 'number' ? tf.fill([width], extra) : tf.tensor1d(extra);
    return [tf.clone(layer.weight), layer.bias ? tf.add(layer.bias, add) : add];
  });
  layer.dispose();
  return layer instanceof Conv2DLayer
    ? new Conv2DLayer(layer.name, weight, bias, layer.strides, layer.padding, layer.options)
    : new DenseLayer(layer.name, weight, bias);
}

/** x + c, x − c, x · c, x / c with a constant c: folded into a linear layer's bias, or an affine layer. */
function constantOperand(node: OnnxNode, b: Builder): void {
  const [first, second] = node.input;
  const op = node.op_type;
  if (!b.isConstant(first) && !b.isConstant(second)) {
    if (op !== 'Add') return fail(`${op} of two tensors of the network is not supported (Add is)`);
    const x = b.tensor(first);
    const y = b.inLayout(b.tensor(second), x.perm, layerName(node));
    if (!tf.util.arraysEqual(x.shape, y.shape))
      return fail(`adding tensors of shapes [${x.shape}] and [${y.shape}] needs broadcasting, which is not supported`);
    b.setTensor(node.output[0], b.add(new AddLayer(b.unique(layerName(node))), [x, y], x.perm));
    return;
  }
  const constantFirst = b.isConstant(first);
  if (constantFirst && (op === 'Sub' || op === 'Div'))
    return fail(`${op} with the constant first (c ${op === 'Sub' ? '−' : '/'} x) is not supported`);
  const xName = constantFirst ? second : first;
  const x = b.tensor(xName);
  const c = channelVector(b.constant(constantFirst ? first : second, 'operand'), x);
  const negate = (v: Float32Array | number) => (typeof v === 'number' ? -v : v.map((e) => -e));
  const invert = (v: Float32Array | number) => (typeof v === 'number' ? 1 / v : v.map((e) => 1 / e));
  const producer = b.soleProducer(xName, x);
  if ((op === 'Add' || op === 'Sub') && (producer instanceof DenseLayer || producer instanceof Conv2DLayer)) {
    b.layers[x.source] = linearBias(producer, op === 'Add' ? c : negate(c));
    b.setTensor(node.output[0], x);
    return;
  }
  const channels = x.shape[x.shape.length - 1];
  const vector = (v: Float32Array | number) => (typeof v === 'number' ? tf.scalar(v) : tf.tensor1d(v));
  const scale = op === 'Mul' ? vector(c) : op === 'Div' ? vector(invert(c)) : tf.scalar(1);
  const shift = op === 'Add' ? vector(c) : op === 'Sub' ? vector(negate(c)) : null;
  if ((scale.size !== 1 && scale.size !== channels) || (shift && shift.size !== 1 && shift.size !== channels)) {
    tf.dispose(shift ? [scale, shift] : [scale]);
    return fail('the constant does not fit the channels');
  }
  b.setTensor(node.output[0], b.add(new AffineLayer(b.unique(layerName(node)), scale, shift), [x], x.perm));
}

function conv(node: OnnxNode, b: Builder): void {
  const name = layerName(node);
  const x = b.inLayout(b.tensor(node.input[0]), channelsLast(4), name);
  if (x.shape.length !== 4) return fail('only 2-D convolutions (NCHW inputs) are supported');
  const W = b.constant(node.input[1], 'weight');
  if (W.dims.length !== 4) return fail(`weight of shape [${W.dims}]: only 2-D convolutions are supported`);
  const B = b.optionalConstant(node.input[2], 'bias');
  const strides = pair(intsAttr(node, 'strides'), 1, 'strides');
  const dilations = pair(intsAttr(node, 'dilations'), 1, 'dilations');
  const padding = paddingOf(node);
  const groups = intAttr(node, 'group', 1);
  const weight = tf.tidy(() => tf.transpose(tensorFrom(W), [2, 3, 1, 0]));
  const layer = new Conv2DLayer(b.unique(name), weight, B && tensorFrom(B, [W.dims[0]]), strides, padding, {
    dilations,
    groups,
  });
  b.setTensor(node.output[0], b.add(layer, [x], x.perm));
}

function dense(node: OnnxNode, b: Builder, weight: tf.Tensor, bias: tf.Tensor | null): void {
  const x = b.inLayout(b.tensor(node.input[0]), identityPerm(2), layerName(node));
  if (x.shape.length !== 2) {
    tf.dispose([weight, bias].filter((t): t is tf.Tensor => t !== null));
    return fail(`its input has shape [${x.shape}]; a matrix product needs [batch, features]`);
  }
  b.setTensor(node.output[0], b.add(new DenseLayer(b.unique(layerName(node)), weight, bias), [x], x.perm));
}

function gemm(node: OnnxNode, b: Builder): void {
  if (intAttr(node, 'transA', 0) !== 0) return fail('transA = 1 is not supported');
  const B = b.constant(node.input[1], 'weight (B)');
  if (B.dims.length !== 2) return fail(`weight of shape [${B.dims}]: expected a matrix`);
  const C = b.optionalConstant(node.input[2], 'bias (C)');
  const alpha = floatAttr(node, 'alpha', 1);
  const beta = floatAttr(node, 'beta', 1);
  const transB = intAttr(node, 'transB', 0) === 1;
  const units = transB ? B.dims[0] : B.dims[1];
  if (C && C.values.length !== 1 && C.values.length !== units)
    return fail(`bias of shape [${C.dims}] for ${units} outputs`);
  const [weight, bias] = tf.tidy(() => {
    const w = tensorFrom(B);
    return [
      tf.mul(transB ? tf.transpose(w) : w, alpha),
      C ? tf.mul(tf.broadcastTo(tensorFrom(C, [C.values.length]), [units]), beta) : null,
    ];
  });
  dense(node, b, weight, bias);
}

function matMul(node: OnnxNode, b: Builder): void {
  const B = b.constant(node.input[1], 'second operand');
  if (B.dims.length !== 2) return fail(`second operand of shape [${B.dims}]: expected a matrix`);
  dense(node, b, tensorFrom(B), null);
}

function passThrough(make: (node: OnnxNode, b: Builder, name: string) => NetworkLayer): Handler {
  return (node, b) => {
    const x = b.tensor(node.input[0]);
    b.setTensor(node.output[0], b.add(make(node, b, b.unique(layerName(node))), [x], x.perm));
  };
}

function clipBounds(node: OnnxNode, b: Builder): [number, number] {
  const bound = (i: number, attr: string, fallback: number) => {
    if (node.input[i]) return b.constant(node.input[i], attr).values[0];
    return floatAttr(node, attr, fallback);
  };
  return [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
}

function clip(node: OnnxNode, b: Builder, name: string): NetworkLayer {
  const [low, high] = clipBounds(node, b);
  return low === 0 && high === Infinity ? new ReluLayer(name) : new ClipLayer(name, low, high);
}

function pool(kind: 'max' | 'average'): Handler {
  return (node, b) => {
    const name = layerName(node);
    const x = b.inLayout(b.tensor(node.input[0]), channelsLast(4), name);
    const size = pair(intsAttr(node, 'kernel_shape'), 1, 'kernel_shape');
    const strides = pair(intsAttr(node, 'strides'), 1, 'strides');
    const dilations = pair(intsAttr(node, 'dilations'), 1, 'dilations');
    if (dilations[0] !== 1 || dilations[1] !== 1) return fail(`dilated pooling [${dilations}] is not supported`);
    const padding = paddingOf(node);
    if (kind === 'average' && padding !== 'valid')
      return fail('average pooling over a padded border is not supported (pad with a Pad node first)');
    const layer =
      kind === 'max'
        ? new MaxPooling2DLayer(b.unique(name), size, strides, padding)
        : new AveragePooling2DLayer(b.unique(name), size, strides, padding);
    const out = b.add(layer, [x], x.perm);
    if (intAttr(node, 'ceil_mode', 0) === 1) {
      const [, h, w] = x.shape;
      const pads = typeof padding === 'string' ? [0, 0, 0, 0] : padding;
      const ceil = [h + pads[0] + pads[1], w + pads[2] + pads[3]].map(
        (n, i) => Math.ceil((n - size[i]) / strides[i]) + 1,
      );
      if (ceil[0] !== out.shape[1] || ceil[1] !== out.shape[2])
        return fail('ceil_mode = 1 gives a larger output than tfjs pooling computes here');
    }
    b.setTensor(node.output[0], out);
  };
}

/** Global average pooling, kept rank 4 ([N, 1, 1, C] held) as ONNX has it. */
function globalAveragePool(node: OnnxNode, b: Builder, keepDims = true): void {
  const name = b.unique(layerName(node));
  const x = b.inLayout(b.tensor(node.input[0]), channelsLast(4), name);
  const pooled = b.add(new GlobalAveragePooling2DLayer(name), [x], identityPerm(2));
  const channels = pooled.shape[1];
  b.setTensor(
    node.output[0],
    keepDims
      ? b.add(new ReshapeLayer(b.unique(`${name}/keep-dims`), [1, 1, channels]), [pooled], channelsLast(4))
      : pooled,
  );
}

function reduceMean(node: OnnxNode, b: Builder): void {
  const x = b.tensor(node.input[0]);
  const axes = axesOf(node, b, x.shape.length);
  if (x.shape.length !== 4 || !axes || axes.length !== 2 || !axes.includes(2) || !axes.includes(3))
    return fail('only the mean over both spatial axes of an NCHW image (global average pooling) is supported');
  globalAveragePool(node, b, intAttr(node, 'keepdims', 1) === 1);
}

/** Reshape to an ONNX shape [batch, ...perSample] (the tensor laid out as ONNX has it first). */
function reshapeTo(node: OnnxNode, b: Builder, perSample: number[]): void {
  const name = layerName(node);
  const x = b.inLayout(b.tensor(node.input[0]), identityPerm(b.tensor(node.input[0]).shape.length), name);
  if (tf.util.arraysEqual(x.shape.slice(1), perSample)) {
    b.setTensor(node.output[0], x);
    return;
  }
  const size = product(x.shape);
  const known = product(perSample.filter((d) => d !== -1));
  const target = perSample.map((d) => (d === -1 ? size / known : d));
  if (!Number.isInteger(product(target)) || product(target) !== size)
    return fail(`cannot reshape [${x.shape.slice(1)}] into [${perSample}] per sample`);
  b.setTensor(node.output[0], b.add(new ReshapeLayer(b.unique(name), target), [x], identityPerm(target.length + 1)));
}

function flatten(node: OnnxNode, b: Builder): void {
  if (intAttr(node, 'axis', 1) !== 1) return fail('only Flatten with axis 1 (keep the batch axis) is supported');
  reshapeTo(node, b, [-1]);
}

function reshape(node: OnnxNode, b: Builder): void {
  const x = b.tensor(node.input[0]);
  const target = Array.from(b.constant(node.input[1], 'shape').values);
  const first = target[0];
  if (!(Number.isNaN(first) || first === 0 || first === -1 || first === b.batch))
    return fail(`the target shape [${target}] does not keep the batch axis first`);
  const onnx = onnxShape(x.shape, x.perm);
  const allowZero = intAttr(node, 'allowzero', 0) === 1;
  const perSample = target.slice(1).map((d, i) => (d === 0 && !allowZero ? onnx[i + 1] : d));
  if (perSample.some((d) => Number.isNaN(d))) return fail(`the target shape [${target}] depends on the batch size`);
  reshapeTo(node, b, perSample);
}

function squeezeOrUnsqueeze(node: OnnxNode, b: Builder): void {
  const input = node.input[0];
  const unsqueeze = node.op_type === 'Unsqueeze';
  if (b.isConstant(input)) {
    const c = b.constant(input, 'input');
    const rank = c.dims.length + (unsqueeze ? (axesOf(node, b, 0)?.length ?? 0) : 0);
    const axes = axesOf(node, b, unsqueeze ? rank : c.dims.length) ?? c.dims.flatMap((d, i) => (d === 1 ? [i] : []));
    const dims: number[] = unsqueeze ? [] : c.dims.filter((_, i) => !axes.includes(i));
    if (unsqueeze) for (let i = 0, k = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : c.dims[k++]);
    b.setConstant(node.output[0], { dims, values: c.values });
    return;
  }
  const x = b.tensor(input);
  const onnx = onnxShape(x.shape, x.perm);
  const rank = onnx.length + (unsqueeze ? (axesOf(node, b, 0)?.length ?? 0) : 0);
  const axes = axesOf(node, b, unsqueeze ? rank : onnx.length) ?? onnx.flatMap((d, i) => (i > 0 && d === 1 ? [i] : []));
  if (axes.includes(0)) return fail('the batch axis cannot be squeezed or unsqueezed');
  const shape: number[] = [];
  if (unsqueeze) for (let i = 0, k = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : onnx[k++]);
  else shape.push(...onnx.filter((_, i) => !axes.includes(i)));
  reshapeTo(node, b, shape.slice(1));
}

function transpose(node: OnnxNode, b: Builder): void {
  const x = b.tensor(node.input[0]);
  const rank = x.shape.length;
  const order = intsAttr(node, 'perm') ?? [...identityPerm(rank)].reverse();
  if (order[0] !== 0) return fail(`perm [${order}] moves the batch axis`);
  const wanted = channelsLast(rank);
  // held output axis j is ONNX output axis wanted[j] = ONNX input axis order[wanted[j]]
  const perm = wanted.map((axis) => x.perm.indexOf(order[axis]));
  const moved = perm.some((p, i) => p !== i);
  b.setTensor(
    node.output[0],
    moved ? b.add(new TransposeLayer(b.unique(layerName(node)), perm), [x], wanted) : { ...x, perm: wanted },
  );
}

function concat(node: OnnxNode, b: Builder): void {
  const name = layerName(node);
  const first = b.tensor(node.input[0]);
  const inputs = node.input.map((n) => b.inLayout(b.tensor(n), first.perm, name));
  const rank = first.shape.length;
  const axis = (intAttr(node, 'axis', 1) + rank) % rank;
  if (axis === 0) return fail('concatenation along the batch axis is not supported');
  b.setTensor(node.output[0], b.add(new ConcatLayer(b.unique(name), first.perm.indexOf(axis)), inputs, first.perm));
}

function pad(node: OnnxNode, b: Builder): void {
  const mode = stringAttr(node, 'mode', 'constant');
  if (mode !== 'constant') return fail(`pad mode '${mode}' is not supported (constant zero padding is)`);
  const value = node.input[2] ? b.constant(node.input[2], 'pad value').values[0] : floatAttr(node, 'value', 0);
  if (value !== 0) return fail(`padding with ${value} is not supported (zero padding is)`);
  if (node.input[3]) return fail('padding chosen axes (the axes input) is not supported');
  const pads = intsAttr(node, 'pads') ?? Array.from(b.constant(node.input[1], 'pads').values);
  const x = b.tensor(node.input[0]);
  const rank = x.shape.length;
  if (pads.length !== 2 * rank || pads.some((p) => p < 0)) return fail(`pads [${pads}] are not supported`);
  if (pads[0] !== 0 || pads[rank] !== 0) return fail('padding the batch axis is not supported');
  const paddings = x.perm.slice(1).map((axis) => [pads[axis], pads[rank + axis]] as [number, number]);
  b.setTensor(node.output[0], b.add(new PadLayer(b.unique(layerName(node)), paddings), [x], x.perm));
}

function batchNormalization(node: OnnxNode, b: Builder): void {
  if (node.output.filter(Boolean).length > 1 || intAttr(node, 'training_mode', 0) !== 0)
    return fail('batch normalisation in training mode is not supported (export the model in eval mode)');
  const [xName, scaleName, biasName, meanName, varName] = node.input;
  const epsilon = floatAttr(node, 'epsilon', 1e-5);
  const channels = (name: string, what: string) =>
    tensorFrom(b.constant(name, what), [b.constant(name, what).values.length]);
  const x = b.tensor(xName);
  const rank = x.shape.length;
  if (rank !== 2 && rank !== 4) return fail(`batch normalisation of a rank-${rank} tensor is not supported`);
  const producer = b.soleProducer(xName, x);
  const params = () => ({
    gamma: channels(scaleName, 'scale'),
    beta: channels(biasName, 'bias'),
    movingMean: channels(meanName, 'mean'),
    movingVariance: channels(varName, 'variance'),
    epsilon,
  });
  if ((producer instanceof Conv2DLayer || producer instanceof DenseLayer) && samePerm(x.perm, channelsLast(rank))) {
    const p = params();
    b.layers[x.source] = fuseBatchNorm(producer, p);
    tf.dispose([p.gamma, p.beta, p.movingMean, p.movingVariance]);
    b.setTensor(node.output[0], x);
    return;
  }
  const held = b.inLayout(x, channelsLast(rank), layerName(node));
  const p = params();
  const [scale, shift] = tf.tidy(() => {
    const s = tf.mul(p.gamma, tf.rsqrt(tf.add(p.movingVariance, epsilon)));
    return [s, tf.sub(p.beta, tf.mul(p.movingMean, s))];
  });
  tf.dispose([p.gamma, p.beta, p.movingMean, p.movingVariance]);
  b.setTensor(node.output[0], b.add(new AffineLayer(b.unique(layerName(node)), scale, shift), [held], held.perm));
}

function constantNode(node: OnnxNode, b: Builder): void {
  const a = node.attribute[0];
  if (!a) return fail('a Constant node without a value');
  let value: OnnxTensor;
  if (a.t) value = tensorValues(a.t, `node ${layerName(node)}`);
  else if (a.name === 'value_float') value = { dims: [], values: Float64Array.of(a.f ?? 0) };
  else if (a.name === 'value_floats') value = { dims: [a.floats!.length], values: Float64Array.from(a.floats!) };
  else if (a.name === 'value_int') value = { dims: [], values: Float64Array.of(a.i ?? 0) };
  else if (a.name === 'value_ints') value = { dims: [a.ints!.length], values: Float64Array.from(a.ints!) };
  else return fail(`a Constant given as '${a.name}' is not supported`);
  b.setConstant(node.output[0], value);
}

/** The ONNX shape of a tensor as a constant, with NaN for the batch size. */
function shapeNode(node: OnnxNode, b: Builder): void {
  const x = b.tensor(node.input[0]);
  const shape = onnxShape(x.shape, x.perm).map((d, i) => (i === 0 ? NaN : d));
  const start = intAttr(node, 'start', 0);
  const end = attribute(node, 'end')?.i;
  const values = Float64Array.from(shape.slice(start, end));
  b.setConstant(node.output[0], { dims: [values.length], values });
}

function alias(node: OnnxNode, b: Builder): void {
  const input = node.input[0];
  if (b.isConstant(input)) b.setConstant(node.output[0], b.constant(input, 'input'));
  else b.setTensor(node.output[0], b.tensor(input));
}

const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  Add: constantOperand,
  Sub: constantOperand,
  Mul: constantOperand,
  Div: constantOperand,
  Relu: passThrough((_n, _b, name) => new ReluLayer(name)),
  LeakyRelu: passThrough((node, _b, name) => new LeakyReluLayer(name, floatAttr(node, 'alpha', 0.01))),
  Clip: passThrough(clip),
  MaxPool: pool('max'),
  AveragePool: pool('average'),
  GlobalAveragePool: (node, b) => globalAveragePool(node, b),
  ReduceMean: reduceMean,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeezeOrUnsqueeze,
  Unsqueeze: squeezeOrUnsqueeze,
  Transpose: transpose,
  Concat: concat,
  Pad: pad,
  BatchNormalization: batchNormalization,
  Identity: alias,
  Dropout: alias,
  Cast: alias,
  Constant: constantNode,
  Shape: shapeNode,
};

export const SUPPORTED_ONNX_OPERATORS: readonly string[] = [
  ...new Set([...Object.keys(HANDLERS), ...FOLDABLE_OPERATORS, ...OUTPUT_SQUASHERS]),
].sort();

/** The nodes the graph output depends on, in graph order. */
function neededNodes(model: OnnxModel, output: string): OnnxNode[] {
  const producer = new Map<string, OnnxNode>();
  for (const node of model.nodes) for (const o of node.output) producer.set(o, node);
  const needed = new Set<OnnxNode>();
  const stack = [output];
  while (stack.length > 0) {
    const node = producer.get(stack.pop()!);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    stack.push(...node.input.filter(Boolean));
  }
  return model.nodes.filter((n) => needed.has(n));
}

/** The explainable network of a decoded ONNX model; `where` names the file in messages. */
export function fromOnnxModel(model: OnnxModel, where: string): ExplainableNetwork {
  const inputs = model.inputs.filter((i) => !model.initializers.has(i.name));
  if (inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UserError(
      `cannot explain ${where}: it has ${inputs.length} inputs and ${model.outputs.length} outputs; only single-input, single-output models are supported`,
    );
  }
  const [input] = inputs;
  const outputName = model.outputs[0].name;
  const shape = input.shape;
  if (!shape || shape.length < 2 || shape.slice(1).some((d) => d === null)) {
    throw new UserError(
      `cannot explain ${where}: its input '${input.name}' has shape [${(shape ?? []).map((d) => d ?? '?').join(', ')}]; every axis but the batch axis must have a fixed size`,
    );
  }
  const nodes = neededNodes(model, outputName);
  const squashers = nodes.filter((n) => OUTPUT_SQUASHERS.has(n.op_type));
  const unsupported = nodes.filter(
    (n) =>
      !Object.hasOwn(HANDLERS, n.op_type) &&
      !FOLDABLE_OPERATORS.includes(n.op_type) &&
      !(OUTPUT_SQUASHERS.has(n.op_type) && n.output[0] === outputName && squashers.length === 1),
  );
  const domains = nodes.filter((n) => n.domain && n.domain !== 'ai.onnx');
  if (unsupported.length > 0 || domains.length > 0) {
    const counts = new Map<string, number>();
    for (const n of [...unsupported, ...domains]) {
      const label = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.op_type}` : n.op_type;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    const list = [...counts].map(([op, k]) => (k > 1 ? `${op} (${k} nodes)` : op)).join(', ');
    throw new UserError(
      `cannot explain ${where}: unsupported ONNX operators: ${list}; supported: ${SUPPORTED_ONNX_OPERATORS.join(', ')} (softmax/sigmoid only as the last node)`,
    );
  }
  const uses = new Map<string, number>([[outputName, 1]]);
  for (const n of nodes) for (const i of n.input) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  const b = new Builder(model, uses, shape[0]);
  const perSample = shape.slice(1) as number[];
  const consumers = nodes.filter((n) => n.input.includes(input.name));
  const nhwcInput =
    shape.length === 4 &&
    consumers.length > 0 &&
    consumers.every((n) => n.op_type === 'Transpose' && (intsAttr(n, 'perm') ?? []).join() === '0,3,1,2');
  const inputPerm = nhwcInput ? identityPerm(4) : channelsLast(shape.length);
  const inputShape = onnxShape(
    [1, ...perSample],
    inputPerm.map((_, i) => inputPerm.indexOf(i)),
  ).slice(1);
  b.setTensor(input.name, { source: NETWORK_INPUT, shape: [1, ...inputShape], perm: inputPerm });
  try {
    for (const node of nodes) {
      try {
        const inputs = node.input.filter(Boolean);
        const folded =
          inputs.length > 0 && inputs.every((i) => b.isConstant(i))
            ? foldConstant(
                node,
                inputs.map((i) => b.constant(i, 'input')),
              )
            : null;
        if (folded) b.setConstant(node.output[0], folded);
        else if (OUTPUT_SQUASHERS.has(node.op_type)) alias(node, b);
        else if (Object.hasOwn(HANDLERS, node.op_type)) HANDLERS[node.op_type](node, b);
        else fail(`${node.op_type} is supported on constants only, and here it takes a tensor of the network`);
      } catch (e) {
        if (!(e instanceof NodeError)) throw e;
        throw new UserError(`cannot explain ${where}: node '${layerName(node)}' (${node.op_type}): ${e.message}`);
      }
    }
    const out = b.tensor(outputName);
    if (out.source === NETWORK_INPUT) throw new UserError(`cannot explain ${where}: its output is its input`);
    const network = new ExplainableNetwork(b.layers, inputShape, b.sources).upToLayer(out.source);
    for (const layer of b.layers) if (!network.layers.includes(layer)) layer.dispose();
    return network;
  } catch (e) {
    for (const layer of b.layers) layer.dispose();
    throw e;
  }
}

/** Read an .onnx file into an explainable network (which owns its weights). */
export function readOnnxNetwork(path: string): ExplainableNetwork {
  return fromOnnxModel(readOnnxFile(path), path);
}
