/**
 * `oc-explain explain-classifier`: any chain-shaped tfjs classifier explained for chosen samples of
 * a data set with the one classifier-explanation service (explainClassifierSamples), written per
 * method as NPY, JSON and heat-map PNGs beside the inputs and an explain.json index — one folder,
 * built aside and renamed into place.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { tf } from '../runtime/runtime.ts';
import { dataSpecPaths, loadDataset, parseDataSpec } from '../data/data-spec.ts';
import { mapShape, perPixelMaps, sampleSize, type Dataset } from '../data/dataset.ts';
import { loadModel } from '../features/model-io.ts';
import { explainClassifierSamples, parseClassifierMethods } from '../explain/classifier-methods.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import type { GradientOptions, SmoothGradVariant } from '../explain/gradient-methods.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { methodFolderName, writeInputImages, writeRelevanceBatch } from '../explain/relevance-output.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { datasetForModel, datasetForShape } from './feature-model.ts';
import { isOnnxPath } from './explainable-model.ts';
import { readOnnxNetwork } from '../explain/onnx/from-onnx.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';

export interface ExplainClassifierOptions {
  /** tfjs layers model: its folder or its model.json */
  model: string;
  /** data spec */
  data: string;
  out: string;
  /** the samples to explain, from the loaded data */
  select: (ds: Dataset) => number[];
  /** comma-separated method list: gradient methods and lrp:<composite> */
  methods: string;
  /** 'predicted', a class index or a class name */
  target: string;
  gradient: {
    steps: number;
    /** 'zero', 'mean' (the data's mean sample) or a constant */
    baseline: 'zero' | 'mean' | number;
    samples: number;
    noiseLevel: number;
    variant: SmoothGradVariant;
    seed: number;
    batchSize: number;
  };
  upscale?: number;
  progress?: Progress;
}

export interface ExplainedClassifierSample {
  index: number;
  /** true class name, when the data has labels */
  label: string | null;
  predicted: number;
  target: number;
  targetName: string;
}

/** --target: 'predicted', a class index, or a class name of the data set. */
function targetClasses(text: string, predicted: Int32Array, classes: number, ds: Dataset): Int32Array {
  if (text === 'predicted') return Int32Array.from(predicted);
  const byName = ds.classNames.indexOf(text);
  const k = /^\d+$/.test(text) ? Number(text) : byName;
  if (k < 0 || k >= classes) {
    throw new UserError(
      `--target: '${text}' is not allowed; give 'predicted' or a class 0…${classes - 1}${ds.classNames.length ? ` (or a class name: ${ds.classNames.join(', ')})` : ''}`,
    );
  }
  return new Int32Array(predicted.length).fill(k);
}

/** The data set's mean sample, in the model's input shape (the 'mean' baseline of IG). */
function meanSample(ds: Dataset, inputShape: number[]): tf.Tensor {
  const size = sampleSize(ds);
  const mean = new Float32Array(size);
  for (let i = 0; i < ds.n; i++) for (let j = 0; j < size; j++) mean[j] += ds.x[i * size + j] / ds.n;
  return tf.tensor(mean, inputShape);
}

function samplesOf(ds: Dataset, indices: number[]): Float32Array {
  const size = sampleSize(ds);
  const x = new Float32Array(indices.length * size);
  indices.forEach((i, k) => x.set(ds.x.subarray(i * size, (i + 1) * size), k * size));
  return x;
}

export async function explainClassifierToFolder(o: ExplainClassifierOptions): Promise<{
  samples: ExplainedClassifierSample[];
  methods: string[];
}> {
  const progress = o.progress ?? SILENT_PROGRESS;
  const spec = parseDataSpec(o.data);
  parseClassifierMethods(o.methods); // names first: a typo is reported before any loading
  return writeDirAtomic(
    o.out,
    'classifier-explanations',
    async (dir) => {
      progress.stage(`loading ${o.data} and ${o.model}`);
      const loaded = loadDataset(spec);
      let ds: Dataset;
      let network: ExplainableNetwork;
      if (isOnnxPath(o.model)) {
        network = readOnnxNetwork(o.model);
        try {
          ds = datasetForShape(loaded, network.inputShape, `model ${o.model}`);
        } catch (e) {
          network.dispose();
          throw e;
        }
      } else {
        const model = await loadModel(o.model);
        try {
          ds = datasetForModel(loaded, model, `model ${o.model}`);
          network = fromLayersModel(model);
        } finally {
          model.dispose(); // the explainable network holds its own copies of the weights
        }
      }
      const indices = o.select(ds);
      const inputShape = [...network.inputShape];
      const bounds = compositeOptionsForData(ds, inputShape);
      const baseline =
        o.gradient.baseline === 'mean'
          ? meanSample(ds, inputShape)
          : o.gradient.baseline === 'zero'
            ? 0
            : o.gradient.baseline;
      try {
        const methods = parseClassifierMethods(o.methods, '--method', bounds);
        const gradient: GradientOptions = { ...o.gradient, baseline };
        const values = samplesOf(ds, indices);
        const e = await withSteps(
          progress,
          `explaining ${indices.length} sample(s) with ${methods.map((m) => m.name).join(', ')}`,
          indices.length * methods.length,
          (update) =>
            explainClassifierSamples(network, values, methods, {
              // the classes come from the one forward pass that also finds the predicted ones
              target: (predicted, classes) => targetClasses(o.target, predicted, classes, ds),
              gradient,
              onProgress: update,
            }),
          'sample × method',
        );
        const className = (k: number) => ds.classNames[k] ?? String(k);
        const samples = indices.map((index, k) => ({
          index,
          label: ds.labels ? className(ds.labels[index]) : null,
          predicted: e.predicted[k],
          target: e.target[k],
          targetName: className(e.target[k]),
        }));
        progress.stage(`writing ${o.out}`);
        const [height, width] = mapShape(ds.sampleShape);
        for (const m of e.methods) {
          const method = methods.find((x) => x.name === m.method)!;
          await writeRelevanceBatch(
            dir,
            {
              method: m.method,
              indices,
              maps: perPixelMaps(m.maps, indices.length, ds.sampleShape),
              height,
              width,
              perSample: samples.map((s, k) => ({ ...s, logit: e.logit[k], ...m.diagnostics[k] })),
              info: {
                model: o.model,
                data: o.data,
                target: o.target,
                ...(method.kind === 'gradient' ? { options: { ...o.gradient } } : {}),
              },
            },
            { upscale: o.upscale },
          );
        }
        if (ds.sampleShape.length === 3)
          await writeInputImages(dir, indices, values, ds.sampleShape, { upscale: o.upscale });
        const index = {
          model: o.model,
          data: o.data,
          target: o.target,
          methods: methods.map((m) => ({ method: m.name, folder: methodFolderName(m.name) })),
          samples,
        };
        await writeFile(join(dir, 'explain.json'), JSON.stringify(index, null, 2) + '\n');
        return { samples, methods: methods.map((m) => m.name) };
      } finally {
        network.dispose();
        disposeBounds(bounds);
        if (baseline instanceof tf.Tensor) baseline.dispose();
      }
    },
    { inputs: [...dataSpecPaths(spec), o.model] },
  );
}
