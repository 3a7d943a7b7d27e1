/**
 * 2-D convolution, NHWC, kernel [kh, kw, in/groups, out], any stride, 'same', 'valid' or explicit
 * padding, dilation and groups (depthwise: groups = in). Dilated and grouped kernels are expanded
 * into one plain kernel (zero taps between dilated ones, zero blocks between groups) inside the
 * forward and transposed ops, after the rule has modified the compact kernel: a rule that sets
 * every weight to one (flat) still connects only what the layer connects, and gradients and
 * transposed convolutions need no kernels of their own. The cost is a plain convolution's.
 */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { LinearLayer } from './linear-layer.ts';

/** 'same', 'valid', or explicit [top, bottom, left, right]. */
export type Padding = 'same' | 'valid' | readonly [number, number, number, number];

export interface ConvOptions {
  /** default [1, 1] */
  dilations?: [number, number];
  /** default 1; in and out channels must both divide by it */
  groups?: number;
}

/** tfjs's form of a padding. */
export function tfPadding(padding: Padding): 'same' | 'valid' | tf.backend_util.ExplicitPadding {
  if (typeof padding === 'string') return padding;
  const [top, bottom, left, right] = padding;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

export class Conv2DLayer extends LinearLayer {
  readonly kind = 'conv2d';
  readonly dilations: [number, number];
  readonly groups: number;
  /** [1, 1, in, out]: 1 where input channel and output channel are in the same group */
  private readonly groupMask: Tensor | null;

  /** the plain kernel of the layer's own weight (the weight itself unless grouped or dilated): every forward pass and most rules use it */
  private readonly ownKernel: Tensor;

  /** Takes ownership of `weight` and `bias` [out]. */
  constructor(
    name: string,
    weight: Tensor,
    bias: Tensor | null,
    readonly strides: [number, number],
    readonly padding: Padding,
    options: ConvOptions = {},
  ) {
    super(name, weight, bias);
    if (weight.rank !== 4)
      throw new Error(`conv2d layer '${name}': kernel must be [kh, kw, in, out], got [${weight.shape}]`);
    this.dilations = options.dilations ?? [1, 1];
    this.groups = options.groups ?? 1;
    const [, , inPerGroup, out] = weight.shape;
    if (!Number.isInteger(this.groups) || this.groups < 1 || out % this.groups !== 0)
      throw new Error(`conv2d layer '${name}': ${out} output channels do not split into ${this.groups} groups`);
    this.groupMask = this.groups === 1 ? null : tf.keep(groupMask(inPerGroup, out, this.groups));
    this.ownKernel = tf.keep(tf.tidy(() => this.expanded(weight)));
  }

  get options(): ConvOptions {
    return { dilations: this.dilations, groups: this.groups };
  }

  /** The plain kernel [kh', kw', in, out] for `weight`: the layer's own built once, a rule's modified one each time. */
  private kernel(weight: Tensor): Tensor {
    return weight === this.weight ? this.ownKernel : this.expanded(weight);
  }

  /** The plain kernel [kh', kw', in, out] that the compact `weight` stands for. */
  private expanded(weight: Tensor): Tensor {
    let w = weight;
    if (this.groupMask) w = tf.mul(tf.tile(w, [1, 1, this.groups, 1]), this.groupMask);
    const [dh, dw] = this.dilations;
    if (dh === 1 && dw === 1) return w;
    const [kh, kw, ci, co] = w.shape;
    const spread = tf.pad(tf.reshape(w, [kh, 1, kw, 1, ci, co]), [
      [0, 0],
      [0, dh - 1],
      [0, 0],
      [0, dw - 1],
      [0, 0],
      [0, 0],
    ]);
    return tf.slice(tf.reshape(spread, [kh * dh, kw * dw, ci, co]), 0, [(kh - 1) * dh + 1, (kw - 1) * dw + 1, ci, co]);
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.tidy(() =>
      tf.fused.conv2d({
        x: a as tf.Tensor4D,
        filter: this.kernel(weight) as tf.Tensor4D,
        strides: this.strides,
        pad: tfPadding(this.padding),
        bias: bias ?? undefined,
      }),
    );
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    const [n, h, w, c] = a.shape as [number, number, number, number];
    return tf.tidy(() =>
      tf.conv2dTranspose(
        s as tf.Tensor4D,
        this.kernel(weight) as tf.Tensor4D,
        [n, h, w, c],
        this.strides,
        tfPadding(this.padding),
      ),
    );
  }

  dispose(): void {
    if (this.ownKernel !== this.weight) this.ownKernel.dispose();
    super.dispose();
    this.groupMask?.dispose();
  }
}

function groupMask(inPerGroup: number, out: number, groups: number): Tensor {
  const outPerGroup = out / groups;
  const mask = new Float32Array(inPerGroup * groups * out);
  for (let i = 0; i < inPerGroup * groups; i++) {
    const g = Math.floor(i / inPerGroup);
    for (let o = g * outPerGroup; o < (g + 1) * outPerGroup; o++) mask[i * out + o] = 1;
  }
  return tf.tensor4d(mask, [1, 1, inPerGroup * groups, out]);
}
