/**
 * Transposed 2-D convolution, NHWC, kernel [kh, kw, out, in] (tfjs's layout): the adjoint of a
 * convolution, so its forward pass is tfjs's conv2dTranspose and its transpose is a plain conv2d.
 * Linear in its input: the rules of the linear family apply unchanged.
 */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { LinearLayer } from './linear-layer.ts';

export class Conv2DTransposeLayer extends LinearLayer {
  readonly kind = 'conv2d-transpose';

  /** Takes ownership of `weight` [kh, kw, out, in] and `bias` [out]. */
  constructor(
    name: string,
    weight: Tensor,
    bias: Tensor | null,
    readonly strides: [number, number],
    readonly padding: 'same' | 'valid',
  ) {
    super(name, weight, bias);
    if (weight.rank !== 4)
      throw new Error(`conv2d-transpose layer '${name}': kernel must be [kh, kw, out, in], got [${weight.shape}]`);
  }

  /** Output [N, H·s, W·s, out] for 'same' padding, [N, (H−1)·s + k, …] for 'valid' (as Keras). */
  outputShape(a: Tensor): [number, number, number, number] {
    const [n, h, w] = a.shape as [number, number, number, number];
    const [kh, kw, out] = this.weight.shape as [number, number, number, number];
    const [sh, sw] = this.strides;
    return this.padding === 'same'
      ? [n, h * sh, w * sw, out]
      : [n, (h - 1) * sh + Math.max(kh, sh), (w - 1) * sw + Math.max(kw, sw), out];
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.tidy(() => {
      const z = tf.conv2dTranspose(
        a as tf.Tensor4D,
        weight as tf.Tensor4D,
        this.outputShape(a),
        this.strides,
        this.padding,
      );
      return bias ? tf.add(z, bias) : z;
    });
  }

  transpose(s: Tensor, weight: Tensor): Tensor {
    return tf.conv2d(s as tf.Tensor4D, weight as tf.Tensor4D, this.strides, this.padding);
  }
}
