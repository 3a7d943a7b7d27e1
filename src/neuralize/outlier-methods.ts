/**
 * Why is this sample an outlier? Every method that answers it, under its CLI name, with one output
 * path: a relevance map per pixel (sum over channels; per value for vector data) and o(x).
 *   ocdtd  OC-DTD, deep Taylor decomposition of o(x) (docs/methods.md#ocdtd, #outlier-baselines)
 *   sa     sensitivity analysis of o, (∂o/∂x_i)²
 *   gi     gradient × input of o
 *   ig     integrated gradients of o
 *   nn     nearest training inlier, (x_i − n_i)²
 *   edge   Sobel gradient magnitude of the image (model-free)
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import type { Composite, CompositeOptions } from '../explain/composites.ts';
import {
  explainByGradient,
  sumChannels,
  type GradientMethodName,
  type GradientOptions,
} from '../explain/gradient-methods.ts';
import { UserError } from '../errors.ts';
import { OUTLIER_METHOD_NAMES, isOutlierMethod, parseOutlierMethod, type OutlierMethodName } from './method-names.ts';
import { ocdtd } from './ocdtd.ts';
import { sobelMagnitude } from './edge-detection.ts';
import type { NearestInlier } from './nearest-inlier.ts';

export { OUTLIER_METHOD_NAMES, isOutlierMethod, parseOutlierMethod, type OutlierMethodName };

export interface OutlierExplanationContext {
  /** the neuralized network from input to o(x) (NeuralizedOcsvm.network) */
  network: ExplainableNetwork;
  /**
   * ocdtd: the network of the OC-DTD variant explained (input → its output, see ocdtd-variants.ts);
   * default `network`, the published method
   */
  ocdtd?: ExplainableNetwork;
  /** ocdtd: composite below the features (default deep-taylor) */
  composite?: Composite | string;
  compositeOptions?: CompositeOptions;
  /** sa, gi, ig: options of the gradient methods (ig: steps, baseline, batchSize) */
  gradient?: GradientOptions;
  /** nn: the training inliers in input space */
  nearestInlier?: NearestInlier;
  /** samples explained per pass (default 256): bounds the memory of deep networks */
  batchSize?: number;
}

export const DEFAULT_OUTLIER_BATCH = 256;

export interface OutlierExplanation {
  method: OutlierMethodName;
  /** per pixel [N, H, W] for images, per value [N, D] for vectors; the caller disposes it */
  relevance: Tensor;
  /** o(x) per sample */
  outlierness: Float32Array;
}

export interface OutlierMethod {
  name: OutlierMethodName;
  description: string;
  /** relevance per input value, shaped like x (edge: per pixel already) */
  explain(ctx: OutlierExplanationContext, x: Tensor): Tensor;
}

const gradientMethod = (name: OutlierMethodName, method: GradientMethodName, description: string): OutlierMethod => ({
  name,
  description,
  explain: (ctx, x) =>
    explainByGradient((batch) => ctx.network.forward(batch), x, method, ctx.gradient ?? {}).relevance,
});

export const OUTLIER_METHODS: Readonly<Record<OutlierMethodName, OutlierMethod>> = {
  ocdtd: {
    name: 'ocdtd',
    description: 'OC-DTD: deep Taylor decomposition of the outlierness o(x)',
    explain: (ctx, x) =>
      ocdtd(ctx.ocdtd ?? ctx.network, x, { composite: ctx.composite, compositeOptions: ctx.compositeOptions })
        .relevance,
  },
  sa: gradientMethod('sa', 'gradient', 'sensitivity analysis of o: (∂o/∂x_i)²'),
  gi: gradientMethod('gi', 'gxi', 'gradient × input of o'),
  ig: gradientMethod('ig', 'ig', 'integrated gradients of o from a baseline (default black)'),
  nn: {
    name: 'nn',
    description: 'nearest neighbour: (x_i − n_i)², n the nearest training inlier',
    explain: (ctx, x) => {
      if (!ctx.nearestInlier) throw new UserError("outlier method 'nn' needs the training inliers (nearestInlier)");
      return ctx.nearestInlier.relevance(x);
    },
  },
  edge: {
    name: 'edge',
    description: 'edge detection: Sobel gradient magnitude of the image (model-free)',
    explain: (_ctx, x) => sobelMagnitude(x),
  },
};

/** Per-pixel relevance of x (summed over channels) by one method, without batching; the caller disposes it. */
export function outlierRelevance(name: OutlierMethodName, ctx: OutlierExplanationContext, x: Tensor): Tensor {
  const perValue = OUTLIER_METHODS[name].explain(ctx, x);
  if (perValue.rank !== 4) return perValue;
  const relevance = tf.tidy(() => sumChannels(perValue));
  perValue.dispose();
  return relevance;
}

/** One pass: o(x) and the per-pixel relevance of a chunk. */
function explainChunk(
  name: OutlierMethodName,
  ctx: OutlierExplanationContext,
  x: Tensor,
): { relevance: Tensor; o: Float32Array } {
  const out = ctx.network.forward(x);
  const o = Float32Array.from(out.dataSync());
  out.dispose();
  return { relevance: outlierRelevance(name, ctx, x), o };
}

/**
 * Explain o(x) for x [N, ...inputShape] with one method, `ctx.batchSize` samples per pass;
 * relevance per pixel out (the caller disposes it).
 */
export function explainOutliers(
  method: OutlierMethodName | string,
  ctx: OutlierExplanationContext,
  x: Tensor,
): OutlierExplanation {
  const name = parseOutlierMethod(method, 'outlier method');
  const batch = ctx.batchSize ?? DEFAULT_OUTLIER_BATCH;
  if (!(Number.isInteger(batch) && batch >= 1))
    throw new UserError(`outlier explanation: batch size must be a positive integer, got ${batch}`);
  const n = x.shape[0];
  if (n <= batch) {
    const { relevance, o } = explainChunk(name, ctx, x);
    return { method: name, relevance, outlierness: o };
  }
  const parts: Tensor[] = [];
  const outlierness = new Float32Array(n);
  try {
    for (let start = 0; start < n; start += batch) {
      const chunk = tf.slice(x, start, Math.min(batch, n - start));
      try {
        const { relevance, o } = explainChunk(name, ctx, chunk);
        parts.push(relevance);
        outlierness.set(o, start);
      } finally {
        chunk.dispose();
      }
    }
    return { method: name, relevance: tf.concat(parts), outlierness };
  } finally {
    tf.dispose(parts);
  }
}
