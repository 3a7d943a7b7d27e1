/**
 * `oc-explain explain-classifier`: pixel-wise explanations of a trained classifier's decision for
 * chosen samples, with LRP composites and gradient methods, written per method as NPY, JSON and
 * heat-map PNGs (see src/explain/relevance-output.ts), beside the inputs and an explain.json index.
 */
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { initRuntime, tf } from '../runtime/runtime.ts';
import { loadDataset } from '../data/data-spec.ts';
import { sampleSize, type Dataset } from '../data/dataset.ts';
import { loadExplainableNetwork } from '../run/explainable-model.ts';
import {
  GRADIENT_METHOD_DESCRIPTIONS,
  GRADIENT_METHOD_NAMES,
  SMOOTHGRAD_VARIANTS,
  type GradientOptions,
  type SmoothGradVariant,
} from '../explain/gradient-methods.ts';
import { COMPOSITE_NAMES, type CompositeOptions } from '../explain/composites.ts';
import {
  explainClassifier,
  parseClassifierMethods,
  pixelMapShape,
  type ClassifierMethod,
} from '../explain/classifier-methods.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { methodFolderName, writeInputImages, writeRelevanceBatch } from '../explain/relevance-output.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import { parseCount, parseIndexList } from './options.ts';

const DEFAULT_METHODS = 'lrp:epsilon-plus-flat,gradient,ig';
/** samples explained together: bounds memory, while IG/SmoothGrad chunk their own points */
const SAMPLES_PER_PASS = 32;

interface Options {
  model: string;
  data: string;
  index?: string;
  first?: string;
  method: string;
  target: string;
  out: string;
  igSteps: string;
  igBaseline: string;
  sgSamples: string;
  sgNoise: string;
  sgVariant: string;
  seed: string;
  batchSize: string;
  upscale?: string;
}

function sampleIndices(opts: Options, ds: Dataset): number[] {
  if ((opts.index === undefined) === (opts.first === undefined)) {
    throw new UserError('give exactly one of --index LIST (e.g. 0,5,17) or --first N');
  }
  if (opts.first !== undefined) {
    const first = parseCount(opts.first, '--first');
    if (first > ds.n)
      throw new UserError(
        `--first: ${first} samples asked for, but ${ds.source} has only ${ds.n} (samples 0…${ds.n - 1})`,
      );
    return Array.from({ length: first }, (_, i) => i);
  }
  const indices = parseIndexList(opts.index!, '--index', ds.n);
  const seen = new Set<number>();
  for (const i of indices) {
    if (seen.has(i)) throw new UserError(`--index: sample ${i} is listed twice`);
    seen.add(i);
  }
  return indices;
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

function gradientOptions(opts: Options, ds: Dataset, inputShape: number[]): GradientOptions {
  if (!(SMOOTHGRAD_VARIANTS as readonly string[]).includes(opts.sgVariant)) {
    throw new UserError(`--sg-variant: '${opts.sgVariant}' is not allowed; allowed: ${SMOOTHGRAD_VARIANTS.join(', ')}`);
  }
  const noise = Number(opts.sgNoise);
  if (opts.sgNoise.trim() === '' || !Number.isFinite(noise) || noise < 0) {
    throw new UserError(
      `--sg-noise: '${opts.sgNoise}' is not allowed; give a number ≥ 0 (σ as a fraction of each sample's value range)`,
    );
  }
  const checked = {
    steps: parseCount(opts.igSteps, '--ig-steps'),
    samples: parseCount(opts.sgSamples, '--sg-samples'),
    noiseLevel: noise,
    variant: opts.sgVariant as SmoothGradVariant,
    seed: parseCount(opts.seed, '--seed', 0),
    batchSize: parseCount(opts.batchSize, '--batch-size'),
  };
  // last: the 'mean' baseline is a tensor, which a later failing option would leak
  return { ...checked, baseline: baselineOf(opts.igBaseline, ds, inputShape) };
}

/** --ig-baseline: 'zero', 'mean' (the data set's mean sample) or a constant. */
function baselineOf(text: string, ds: Dataset, inputShape: number[]): number | tf.Tensor {
  if (text === 'zero') return 0;
  if (text === 'mean') {
    const size = sampleSize(ds);
    const mean = new Float32Array(size);
    for (let i = 0; i < ds.n; i++) for (let j = 0; j < size; j++) mean[j] += ds.x[i * size + j] / ds.n;
    return tf.tensor(mean, inputShape);
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UserError(`--ig-baseline: '${text}' is not allowed; give zero, mean or a number`);
  }
  return value;
}

function samplesOf(ds: Dataset, indices: number[]): Float32Array {
  const size = sampleSize(ds);
  const x = new Float32Array(indices.length * size);
  indices.forEach((i, k) => x.set(ds.x.subarray(i * size, (i + 1) * size), k * size));
  return x;
}

async function run(opts: Options, backend: string | undefined): Promise<void> {
  await initRuntime({ backend });
  parseClassifierMethods(opts.method); // names first: a typo is reported before any loading
  const ds = loadDataset(opts.data);
  const indices = sampleIndices(opts, ds);
  const upscale = opts.upscale === undefined ? undefined : parseCount(opts.upscale, '--upscale');
  const network = await loadExplainableNetwork(opts.model);
  let options: GradientOptions = {};
  let bounds: CompositeOptions = {};
  try {
    const inputShape = [...network.inputShape];
    if (inputShape.reduce((a, b) => a * b, 1) !== sampleSize(ds)) {
      throw new UserError(
        `the model expects inputs of shape [${inputShape.join(', ')}] but ${ds.source} has samples of shape [${ds.sampleShape.join(', ')}]`,
      );
    }
    bounds = compositeOptionsForData(ds, inputShape);
    const methods = parseClassifierMethods(opts.method, '--method', bounds);
    options = gradientOptions(opts, ds, inputShape);
    const values = samplesOf(ds, indices);
    const samples = describeSamples(network, values, indices, ds, opts.target);
    for (const method of methods) {
      const { maps, height, width, perSample } = explainAll(network, values, samples, method, options);
      await writeRelevanceBatch(
        opts.out,
        {
          method: method.name,
          indices,
          maps,
          height,
          width,
          perSample,
          info: {
            model: opts.model,
            data: opts.data,
            target: opts.target,
            ...(method.kind === 'gradient' ? { options: describeOptions(opts) } : {}),
          },
        },
        { upscale },
      );
    }
    if (inputShape.length >= 2) await writeInputImages(opts.out, indices, values, inputShape, { upscale });
    const index = {
      model: opts.model,
      data: opts.data,
      target: opts.target,
      methods: methods.map((m) => ({ method: m.name, folder: methodFolderName(m.name) })),
      samples,
    };
    await writeFileAtomic(join(opts.out, 'explain.json'), JSON.stringify(index, null, 2) + '\n');
    process.stderr.write(
      `oc-explain: ${methods.length} method(s) × ${indices.length} sample(s) written to ${opts.out}\n`,
    );
  } finally {
    network.dispose();
    disposeBounds(bounds);
    if (options.baseline instanceof tf.Tensor) options.baseline.dispose();
  }
}

interface SampleInfo {
  index: number;
  /** true class name, when the data has labels */
  label: string | null;
  predicted: number;
  target: number;
  targetName: string;
}

/** Predicted and explained class of every chosen sample. */
function describeSamples(
  network: ExplainableNetwork,
  values: Float32Array,
  indices: number[],
  ds: Dataset,
  targetText: string,
): SampleInfo[] {
  const logits = tf.tidy(() => network.forward(tf.tensor(values, [indices.length, ...network.inputShape])));
  const classes = logits.shape[1] as number;
  const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array);
  logits.dispose();
  const target = targetClasses(targetText, predicted, classes, ds);
  const className = (k: number) => ds.classNames[k] ?? String(k);
  return indices.map((index, k) => ({
    index,
    label: ds.labels ? className(ds.labels[index]) : null,
    predicted: predicted[k],
    target: target[k],
    targetName: className(target[k]),
  }));
}

/** One method over all chosen samples, a pass of SAMPLES_PER_PASS samples at a time. */
function explainAll(
  network: ExplainableNetwork,
  values: Float32Array,
  samples: SampleInfo[],
  method: ClassifierMethod,
  options: GradientOptions,
) {
  const inputShape = [...network.inputShape];
  const size = inputShape.reduce((a, b) => a * b, 1);
  const [height, width] = pixelMapShape(inputShape);
  const n = samples.length;
  const target = Int32Array.from(samples, (s) => s.target);
  const maps = new Float32Array(n * height * width);
  const perSample: Array<Record<string, number | string | null>> = [];
  const bar = new SingleBar({
    format: `explaining [{bar}] ${method.name} | {value}/{total} samples`,
    stream: process.stderr,
    hideCursor: false,
  });
  bar.start(n, 0);
  try {
    for (let start = 0; start < n; start += SAMPLES_PER_PASS) {
      const end = Math.min(n, start + SAMPLES_PER_PASS);
      const x = tf.tensor(values.subarray(start * size, end * size), [end - start, ...inputShape]);
      try {
        const e = explainClassifier(network, x, target.subarray(start, end), method, options);
        maps.set(e.maps, start * height * width);
        for (let k = start; k < end; k++)
          perSample.push({ ...samples[k], logit: e.logit[k - start], ...e.diagnostics[k - start] });
      } finally {
        x.dispose();
      }
      bar.increment(end - start);
    }
  } finally {
    bar.stop();
  }
  return { maps, height, width, perSample };
}

function describeOptions(opts: Options): Record<string, string> {
  return {
    igSteps: opts.igSteps,
    igBaseline: opts.igBaseline,
    sgSamples: opts.sgSamples,
    sgNoise: opts.sgNoise,
    sgVariant: opts.sgVariant,
    seed: opts.seed,
  };
}

/** --method help: each gradient method with its description, then the LRP names. */
function methodHelp(): string {
  const gradient = GRADIENT_METHOD_NAMES.map((name) => `${name} (${GRADIENT_METHOD_DESCRIPTIONS[name]})`);
  return `${gradient.join(', ')}, or LRP: ${COMPOSITE_NAMES.join(', ')} (also lrp:epsilon=0.25, lrp:gamma=0.5)`;
}

export function register(program: Command): void {
  program
    .command('explain-classifier')
    .description(
      'explain the logit of a trained classifier for chosen samples, pixel by pixel, with LRP and gradient methods',
    )
    .requiredOption(
      '--model <path>',
      'an .onnx file (PyTorch, Keras) or a tfjs layers model (folder with model.json, or the model.json)',
    )
    .requiredOption('--data <spec>', 'data set, e.g. mnist, mnist:0,6, png:DIR, csv:FILE')
    .option('--index <list>', 'sample indices to explain, e.g. 0,5,17')
    .option('--first <n>', 'explain samples 0…n−1')
    .option('--method <list>', `comma-separated methods: ${methodHelp()}`, DEFAULT_METHODS)
    .option('--target <class>', "explained class: 'predicted', a class index or a class name", 'predicted')
    .requiredOption('--out <dir>', 'output folder (one sub-folder per method)')
    .option('--ig-steps <m>', 'integrated gradients: interpolation steps', '32')
    .option('--ig-baseline <b>', 'integrated gradients: baseline zero, mean or a number', 'zero')
    .option('--sg-samples <n>', 'SmoothGrad: noisy copies', '32')
    .option('--sg-noise <f>', "SmoothGrad: σ as a fraction of each sample's value range", '0.1')
    .option('--sg-variant <v>', `SmoothGrad: ${SMOOTHGRAD_VARIANTS.join(', ')}`, 'plain')
    .option('--seed <n>', 'SmoothGrad noise seed', '0')
    .option('--batch-size <n>', 'at most this many inputs per forward/backward pass', '256')
    .option('--upscale <k>', 'heat-map PNG enlargement (default 8 for maps up to 64 px wide)')
    .action(async (opts: Options) => run(opts, program.opts().backend));
}
