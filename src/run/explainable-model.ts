/**
 * A feature network given as an explainable network (an ONNX file read by src/explain/onnx): the
 * activations of one of its layers as the features of an outlier run, and where a run keeps the file.
 */
import { inputSamples, DEFAULT_EXTRACT_BATCH, type FeatureExtractor } from '../features/extractor.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { UserError } from '../errors.ts';
import { tf } from '../runtime/runtime.ts';

/** The name a run folder gives a copied ONNX feature network, inside its features folder. */
export const ONNX_MODEL_FILE = 'model.onnx';

export const isOnnxPath = (path: string) => path.toLowerCase().endsWith('.onnx');

const ACTIVATIONS = new Set(['relu', 'leaky-relu', 'clip']);

/** The last activation before the output layer (a classifier's last hidden features), else the layer before it. */
export function defaultFeatureLayerOf(network: ExplainableNetwork): string {
  const hidden = network.layers.slice(0, -1);
  if (hidden.length === 0) throw new UserError('the model has no hidden layer to take features from');
  return ([...hidden].reverse().find((l) => ACTIVATIONS.has(l.kind)) ?? hidden[hidden.length - 1]).name;
}

/** Features from the layer `layer` (default: defaultFeatureLayerOf) of an explainable network the caller keeps. */
export function explainableExtractor(
  network: ExplainableNetwork,
  options: { layer?: string; label: string; batchSize?: number },
): FeatureExtractor {
  const layer = options.layer ?? defaultFeatureLayerOf(network);
  if (network.indexOf(layer) < 0) {
    throw new UserError(
      `${options.label}: no layer named '${layer}'; its layers: ${network.layers.map((l) => l.name).join(', ')}`,
    );
  }
  const features = network.upTo(layer);
  const outputShape = tf.tidy(() => features.forward(tf.zeros([1, ...network.inputShape])).shape.slice(1));
  const featureDim = outputShape.reduce((a, b) => a * b, 1);
  const size = network.inputShape.reduce((a, b) => a * b, 1);
  const batchSize = options.batchSize ?? DEFAULT_EXTRACT_BATCH;
  return {
    name: `${options.label}:${layer}`,
    layer,
    outputShape,
    featureDim,
    extract(input) {
      const x = inputSamples(input, size, `${options.label} (input shape [${network.inputShape.join(', ')}])`);
      const n = x.length / size;
      const out = new Float32Array(n * featureDim);
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        tf.tidy(() => {
          const batch = tf.tensor(x.subarray(start * size, (start + count) * size), [count, ...network.inputShape]);
          out.set(features.forward(batch).dataSync(), start * featureDim);
        });
      }
      return out;
    },
    dispose: () => undefined,
  };
}
