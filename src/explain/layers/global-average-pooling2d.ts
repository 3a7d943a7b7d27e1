/** Global average pooling, NHWC → NC: linear, weight 1/(H·W) on every position. */
import { tf } from '../../runtime/runtime.ts';
import type { Tensor } from '../network.ts';
import { AveragingLayer } from './average-pooling2d.ts';

export class GlobalAveragePooling2DLayer extends AveragingLayer {
  readonly kind = 'global-average-pooling2d';

  constructor(readonly name: string) {
    super();
  }

  protected pool(a: Tensor): Tensor {
    return tf.mean(a, [1, 2]);
  }
}
