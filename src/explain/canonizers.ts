/**
 * Canonizers: rewrite a network into an equivalent one whose layers the rules understand.
 * Batch normalisation (inference mode) is an affine map per channel, so it folds into the linear
 * layer before it: W' = W·g/√(σ²+ε), b' = (b − μ)·g/√(σ²+ε) + β.
 */
import { tf } from '../runtime/runtime.ts';
import type { Tensor } from './network.ts';
import { Conv2DLayer } from './layers/conv2d.ts';
import { DenseLayer } from './layers/dense.ts';

export interface BatchNormParameters {
  /** per channel (last axis); gamma null when the layer does not scale, beta null when it does not centre */
  gamma: Tensor | null;
  beta: Tensor | null;
  movingMean: Tensor;
  movingVariance: Tensor;
  epsilon: number;
}

/**
 * A new layer computing bn(layer(a)). Disposes `layer`'s weights (they are replaced); does not
 * dispose the batch-norm tensors.
 */
export function fuseBatchNorm<L extends DenseLayer | Conv2DLayer>(layer: L, bn: BatchNormParameters): L {
  const [weight, bias] = tf.tidy(() => {
    const invStd = tf.rsqrt(tf.add(bn.movingVariance, bn.epsilon));
    const scale = bn.gamma ? tf.mul(bn.gamma, invStd) : invStd;
    const centred = layer.bias ? tf.sub(layer.bias, bn.movingMean) : tf.neg(bn.movingMean);
    const shifted = tf.mul(centred, scale);
    return [tf.mul(layer.weight, scale), bn.beta ? tf.add(shifted, bn.beta) : shifted];
  });
  layer.dispose();
  const fused =
    layer instanceof Conv2DLayer
      ? new Conv2DLayer(layer.name, weight, bias, layer.strides, layer.padding, layer.options)
      : new DenseLayer(layer.name, weight, bias);
  return fused as L;
}
