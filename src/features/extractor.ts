/**
 * Feature extractors: the map x → φ(x) whose output the one-class SVM is trained on. Either the
 * activations of one layer of a network (ours or the user's own tfjs LayersModel) or the raw pixels.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { loadModel, modelJsonPathOf } from './model-io.ts';

export interface FeatureExtractor {
  /** what it computes, for reports: 'pixels', 'network:features', 'model:/path/model.json:dense_2' */
  readonly name: string;
  /** layer whose activations are the features, or null for the pixels */
  readonly layer: string | null;
  /** shape of the features of one sample (e.g. [128], or [11, 11, 64] for a conv layer) */
  readonly outputShape: number[];
  /** product of outputShape: the length of one feature row */
  readonly featureDim: number;
  /** features of every sample, n × featureDim row-major; a Float32Array input holds whole samples */
  extract(input: Dataset | Float32Array): Float32Array;
  /** frees what the extractor owns (a model it loaded itself); the extractor is unusable afterwards */
  dispose(): void;
}

export const DEFAULT_EXTRACT_BATCH = 512;

export interface LayerExtractorOptions {
  /** layer whose activations are the features (default: the last hidden ReLU layer, see defaultFeatureLayer) */
  layer?: string;
  /** samples per forward pass (default 512) */
  batchSize?: number;
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The samples of `input` as one row-major array (checked: whole samples of `size` values). */
export function inputSamples(input: Dataset | Float32Array, size: number, what: string): Float32Array {
  if (!(input instanceof Float32Array)) {
    if (product(input.sampleShape) !== size) {
      throw new UserError(
        `${what} expects samples of ${size} values, but ${input.source} has samples of shape [${input.sampleShape.join(', ')}] (${product(input.sampleShape)} values)`,
      );
    }
    return input.x.subarray(0, input.n * size);
  }
  if (input.length % size !== 0) {
    throw new UserError(`${what} expects whole samples of ${size} values, got ${input.length} values`);
  }
  return input;
}

/** Identity features: every sample's values, flattened. */
export function pixelExtractor(sampleShape: number[]): FeatureExtractor {
  const size = product(sampleShape);
  return {
    name: 'pixels',
    layer: null,
    outputShape: [size],
    featureDim: size,
    extract: (input) => Float32Array.from(inputSamples(input, size, 'the pixels extractor')),
    dispose: () => undefined,
  };
}

type Layer = tf.LayersModel['layers'][number];

function isReluLayer(layer: Layer): boolean {
  const config = layer.getConfig();
  return layer.getClassName() === 'ReLU' || config.activation === 'relu';
}

/**
 * The default feature layer of a classifier: the last ReLU layer before the output layer (for our
 * networks 'features'); failing that, the layer just before the output layer.
 */
export function defaultFeatureLayer(model: tf.LayersModel): string {
  const outputNames = new Set(model.outputs.map((o) => o.sourceLayer.name));
  const hidden = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !outputNames.has(l.name));
  if (hidden.length === 0) {
    throw new UserError(
      `model '${model.name}' has no hidden layer to take features from; name a layer (its layers: ${layerNames(model)})`,
    );
  }
  return ([...hidden].reverse().find(isReluLayer) ?? hidden[hidden.length - 1]).name;
}

function layerNames(model: tf.LayersModel): string {
  return model.layers.map((l) => l.name).join(', ');
}

/**
 * Activations of a named layer of `model` (which the caller keeps owning: dispose() leaves it alone).
 * `label` names the model in messages and in the extractor's name.
 */
export function networkExtractor(
  model: tf.LayersModel,
  options: LayerExtractorOptions & { label?: string } = {},
): FeatureExtractor {
  const label = options.label ?? 'network';
  const layerName = options.layer ?? defaultFeatureLayer(model);
  const layer = model.layers.find((l) => l.name === layerName);
  if (!layer) {
    throw new UserError(`${label}: no layer named '${layerName}'; its layers: ${layerNames(model)}`);
  }
  const inputShape = model.inputs[0].shape.slice(1);
  const outputShape = (layer.outputShape as number[]).slice(1);
  if (model.inputs.length !== 1 || inputShape.some((d) => d === null) || outputShape.some((d) => d === null)) {
    throw new UserError(
      `${label}: features need one input and fixed shapes (input [${inputShape.join(', ')}], layer '${layerName}' [${outputShape.join(', ')}])`,
    );
  }
  const size = product(inputShape as number[]);
  const featureDim = product(outputShape);
  // shares the layers (and weights) of `model`: no copy, and nothing of its own to dispose
  const truncated = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
  const batchSize = options.batchSize ?? DEFAULT_EXTRACT_BATCH;
  return {
    name: `${label}:${layerName}`,
    layer: layerName,
    outputShape,
    featureDim,
    extract(input) {
      const x = inputSamples(input, size, `${label} (input shape [${inputShape.join(', ')}])`);
      const n = x.length / size;
      const features = new Float32Array(n * featureDim);
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        tf.tidy(() => {
          const batch = tf.tensor(x.subarray(start * size, (start + count) * size), [
            count,
            ...(inputShape as number[]),
          ]);
          const out = truncated.predict(batch, { batchSize: count }) as tf.Tensor;
          features.set(out.dataSync(), start * featureDim);
        });
      }
      return features;
    },
    dispose: () => undefined,
  };
}

/** Features from the user's own tfjs LayersModel (a directory holding model.json, or its path). */
export async function modelExtractor(path: string, options: LayerExtractorOptions = {}): Promise<FeatureExtractor> {
  const model = await loadModel(path);
  try {
    const extractor = networkExtractor(model, { ...options, label: `model:${modelJsonPathOf(path)}` });
    return { ...extractor, dispose: () => model.dispose() };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
