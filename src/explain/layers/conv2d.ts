/** 2-D convolution, NHWC, kernel [kh, kw, in, out], any stride, 'same' or 'valid' padding. */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { LinearLayer } from './linear-layer.ts';

export type Padding = 'same' | 'valid';

export class Conv2DLayer extends LinearLayer {
  readonly kind = 'conv2d';

  /** Takes ownership of `weight` and `bias` [out]. */
  constructor(
    name: string,
    weight: Tensor,
    bias: Tensor | null,
    readonly strides: [number, number],
    readonly padding: Padding,
  ) {
    super(name, weight, bias);
    if (weight.rank !== 4)
      throw new Error(`conv2d layer '${name}': kernel must be [kh, kw, in, out], got [${weight.shape}]`);
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.fused.conv2d({
      x: a as tf.Tensor4D,
      filter: weight as tf.Tensor4D,
      strides: this.strides,
      pad: this.padding,
      bias: bias ?? undefined,
    });
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    const [n, h, w, c] = a.shape as [number, number, number, number];
    return tf.conv2dTranspose(s as tf.Tensor4D, weight as tf.Tensor4D, [n, h, w, c], this.strides, this.padding);
  }
}
