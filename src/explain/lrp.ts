/**
 * Layer-wise relevance propagation over an explainable network: one forward pass keeps every
 * layer's input, then relevance flows from the top down, each layer applying the rule the
 * composite gave it. Batched; all intermediate tensors are freed.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { assignRules, type Composite } from './composites.ts';
import { isJoin, type ExplainableNetwork, type Tensor } from './network.ts';
import { oneHotMask } from './one-hot.ts';

export interface PropagationResult {
  /** relevance of the input: [N, ...inputShape] */
  relevance: Tensor;
  /** the network output for x */
  output: Tensor;
  /** with returnLayers: layers[k] = relevance of activations[k] of the trace — in a chain, of
   *  layer k's input (layers[0] = relevance, layers[L] = the top relevance) */
  layers?: Tensor[];
}

export interface PropagateOptions {
  returnLayers?: boolean;
}

/**
 * Propagate `top` (shaped like the network output, or computed from the output) down to the input.
 * The caller owns the returned tensors.
 */
export function propagate(
  network: ExplainableNetwork,
  x: Tensor,
  top: Tensor | ((output: Tensor) => Tensor),
  composite: Composite | null,
  options: PropagateOptions = {},
): PropagationResult {
  const rules = composite ? assignRules(network, composite) : network.layers.map(() => undefined);
  return tf.tidy(() => {
    const { activations } = network.trace(x);
    const L = network.layers.length;
    const output = activations[L];
    const R = typeof top === 'function' ? top(output) : top;
    if (!tf.util.arraysEqual(R.shape, output.shape)) {
      throw new Error(`top relevance has shape [${R.shape}] but the network output has shape [${output.shape}]`);
    }
    // pending[k]: relevance of activations[k], summed over every layer that takes it (fan-out)
    const pending: (Tensor | null)[] = new Array<Tensor | null>(L + 1).fill(null);
    pending[L] = R;
    const layers: Tensor[] = [];
    for (let k = L - 1; k >= 0; k--) {
      const Rk = pending[k + 1];
      if (options.returnLayers) layers[k + 1] = Rk ?? tf.zerosLike(activations[k + 1]);
      if (!Rk) continue; // an output nothing above uses carries no relevance
      const layer = network.layers[k];
      const inputs = network.inputsOf(k, activations);
      const ctx = { output: activations[k + 1] };
      const shares = isJoin(layer)
        ? layer.relevance(inputs, Rk, rules[k], ctx)
        : [layer.relevance(inputs[0], Rk, rules[k], ctx)];
      network.sources[k].forEach((j, i) => {
        const before = pending[j + 1];
        pending[j + 1] = before ? tf.add(before, shares[i]) : shares[i];
        if (before && !options.returnLayers) tf.dispose([before, shares[i]]);
      });
      // free relevances as we go (a big batch keeps only the activations), unless asked for them
      if (!options.returnLayers && Rk !== top && !shares.includes(Rk)) Rk.dispose();
    }
    const relevance = pending[0] ?? tf.zerosLike(x);
    if (options.returnLayers) layers[0] = relevance;
    return options.returnLayers ? { relevance, output, layers } : { relevance, output };
  }) as PropagationResult;
}

export type Target = number | readonly number[] | 'predicted';

export interface ExplainLRPOptions {
  composite: Composite;
  /** class explained per sample (one index for all, one per sample, or the predicted class) */
  target: Target;
  returnLayers?: boolean;
}

export interface LRPResult extends PropagationResult {
  /** the explained class of every sample */
  target: Int32Array;
}

/** The class index per sample, checked against the number of classes. */
function resolveTarget(target: Target, logits: Tensor): Int32Array {
  const [n, classes] = logits.shape as [number, number];
  if (target === 'predicted') return tf.tidy(() => tf.argMax(logits, 1)).dataSync() as Int32Array;
  const indices = typeof target === 'number' ? new Array<number>(n).fill(target) : [...target];
  if (indices.length !== n) throw new UserError(`target: ${indices.length} class indices given for ${n} samples`);
  for (const c of indices) {
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new UserError(`target: class index ${c} out of range; the network has classes 0…${classes - 1}`);
    }
  }
  return Int32Array.from(indices);
}

/**
 * Explain the logit of the target class of every sample of x ([N, ...inputShape]): the top
 * relevance is that logit, the other outputs get zero.
 */
export function explainLRP(network: ExplainableNetwork, x: Tensor, options: ExplainLRPOptions): LRPResult {
  let target: Int32Array | undefined;
  const result = propagate(
    network,
    x,
    (logits) => {
      if (logits.rank !== 2)
        throw new Error(`explainLRP needs a classifier with output [N, classes], got [${logits.shape}]`);
      target = resolveTarget(options.target, logits);
      return tf.mul(logits, oneHotMask(target, logits.shape[1] as number));
    },
    options.composite,
    { returnLayers: options.returnLayers },
  );
  return { ...result, target: target! };
}
