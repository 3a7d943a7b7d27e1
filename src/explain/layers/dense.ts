/** Dense (fully connected) layer on the last axis: z = a·W + b, W of shape [in, out]. */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { LinearLayer } from './linear-layer.ts';

export class DenseLayer extends LinearLayer {
  readonly kind = 'dense';

  /** Takes ownership of `weight` [in, out] and `bias` [out]. */
  constructor(name: string, weight: Tensor, bias: Tensor | null) {
    super(name, weight, bias);
    if (weight.rank !== 2) throw new Error(`dense layer '${name}': weight must be [in, out], got [${weight.shape}]`);
  }

  apply(a: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    return tf.tidy(() => {
      const flat =
        a.rank === 2 ? (a as tf.Tensor2D) : (tf.reshape(a, [-1, a.shape[a.rank - 1] as number]) as tf.Tensor2D);
      const z = tf.fused.matMul({ a: flat, b: weight as tf.Tensor2D, bias: bias ?? undefined });
      return a.rank === 2 ? z : tf.reshape(z, [...a.shape.slice(0, -1), weight.shape[1] as number]);
    });
  }

  transpose(s: Tensor, weight: Tensor, a: Tensor): Tensor {
    return tf.tidy(() => {
      const flat =
        s.rank === 2 ? (s as tf.Tensor2D) : (tf.reshape(s, [-1, s.shape[s.rank - 1] as number]) as tf.Tensor2D);
      return tf.reshape(tf.matMul(flat, weight as tf.Tensor2D, false, true), a.shape);
    });
  }
}
