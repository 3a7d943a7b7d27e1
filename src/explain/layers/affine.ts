/**
 * A per-channel affine map a·scale + shift on the last axis: a batch normalisation that cannot be
 * fused into a linear layer before it, or a constant multiply/add. Linear in its input, so the
 * rules treat it like a dense layer with a diagonal weight.
 */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { LinearLayer } from './linear-layer.ts';

export class AffineLayer extends LinearLayer {
  readonly kind = 'affine';

  /** Takes ownership of `scale` and `shift` (each [channels], or a scalar). */
  constructor(name: string, scale: Tensor, shift: Tensor | null) {
    super(name, scale, shift);
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.tidy(() => (bias ? tf.add(tf.mul(a, weight), bias) : tf.mul(a, weight)));
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    return tf.tidy(() => tf.broadcastTo(tf.mul(s, weight), a.shape));
  }
}
