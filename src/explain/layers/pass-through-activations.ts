/**
 * Piecewise-linear activations beside ReLU — leaky ReLU and clipping (ReLU6) — whose relevance
 * passes through unchanged, as for ReLU: the rule of the linear layer below decides (Zennit's Pass
 * rule for activations).
 */
import { tf } from '../../runtime/runtime.ts';
import type { ExplainableLayer, Tensor } from '../network.ts';

abstract class PassThroughActivation implements ExplainableLayer {
  abstract readonly name: string;
  abstract readonly kind: string;
  abstract forward(a: Tensor): Tensor;

  /** a new tensor sharing R's data (tf.clone copies on wasm) */
  relevance(_input: Tensor, R: Tensor): Tensor {
    return tf.reshape(R, R.shape);
  }

  dispose(): void {}
}

export class LeakyReluLayer extends PassThroughActivation {
  readonly kind = 'leaky-relu';

  constructor(
    readonly name: string,
    readonly alpha: number,
  ) {
    super();
  }

  forward(a: Tensor): Tensor {
    return tf.leakyRelu(a, this.alpha);
  }
}

/** min(max(a, low), high): ReLU6 is low 0, high 6. */
export class ClipLayer extends PassThroughActivation {
  readonly kind = 'clip';

  constructor(
    readonly name: string,
    readonly low: number,
    readonly high: number,
  ) {
    super();
    if (!(low < high)) throw new Error(`clip layer '${name}': low ${low} must be below high ${high}`);
  }

  forward(a: Tensor): Tensor {
    return tf.clipByValue(a, this.low, this.high);
  }
}
