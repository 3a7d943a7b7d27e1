/**
 * `oc-explain explain-classifier`: pixel-wise explanations of a trained classifier's decision for
 * chosen samples, with LRP composites and gradient methods (src/run/explain-classifier-run.ts).
 */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import type { Dataset } from '../data/dataset.ts';
import { checkOutputFolder } from '../io/output-folder.ts';
import {
  COMPOSITE_NAMES,
  GRADIENT_METHOD_DESCRIPTIONS,
  GRADIENT_METHOD_NAMES,
  SMOOTHGRAD_VARIANTS,
  type SmoothGradVariant,
} from '../explain/method-names.ts';
import { parseCount, parseIndexList } from './options.ts';
import { startRuntime } from './runtime-start.ts';

const DEFAULT_METHODS = 'lrp:epsilon-plus-flat,gradient,ig';

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

/** --index or --first, checked against the loaded data. */
function sampleSelection(opts: Options): (ds: Dataset) => number[] {
  if ((opts.index === undefined) === (opts.first === undefined)) {
    throw new UserError('give exactly one of --index LIST (e.g. 0,5,17) or --first N');
  }
  if (opts.first !== undefined) {
    const first = parseCount(opts.first, '--first');
    return (ds) => {
      if (first > ds.n)
        throw new UserError(
          `--first: ${first} samples asked for, but ${ds.source} has only ${ds.n} (samples 0…${ds.n - 1})`,
        );
      return Array.from({ length: first }, (_, i) => i);
    };
  }
  return (ds) => {
    const indices = parseIndexList(opts.index!, '--index', ds.n);
    const seen = new Set<number>();
    for (const i of indices) {
      if (seen.has(i)) throw new UserError(`--index: sample ${i} is listed twice`);
      seen.add(i);
    }
    return indices;
  };
}

function gradientOptions(opts: Options) {
  if (!(SMOOTHGRAD_VARIANTS as readonly string[]).includes(opts.sgVariant)) {
    throw new UserError(`--sg-variant: '${opts.sgVariant}' is not allowed; allowed: ${SMOOTHGRAD_VARIANTS.join(', ')}`);
  }
  const noise = Number(opts.sgNoise);
  if (opts.sgNoise.trim() === '' || !Number.isFinite(noise) || noise < 0) {
    throw new UserError(
      `--sg-noise: '${opts.sgNoise}' is not allowed; give a number ≥ 0 (σ as a fraction of each sample's value range)`,
    );
  }
  return {
    steps: parseCount(opts.igSteps, '--ig-steps'),
    baseline: baselineOf(opts.igBaseline),
    samples: parseCount(opts.sgSamples, '--sg-samples'),
    noiseLevel: noise,
    variant: opts.sgVariant as SmoothGradVariant,
    seed: parseCount(opts.seed, '--seed', 0),
    batchSize: parseCount(opts.batchSize, '--batch-size'),
  };
}

/** --ig-baseline: 'zero', 'mean' (the data set's mean sample) or a constant. */
function baselineOf(text: string): 'zero' | 'mean' | number {
  if (text === 'zero' || text === 'mean') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UserError(`--ig-baseline: '${text}' is not allowed; give zero, mean or a number`);
  }
  return value;
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
    .requiredOption('--data <spec>', 'data set, e.g. mnist, mnist:0,6, png:DIR, csv:FILE[,shape=HxW[xC]]')
    .option('--index <list>', 'sample indices to explain, e.g. 0,5,17')
    .option('--first <n>', 'explain samples 0…n−1')
    .option('--method <list>', `comma-separated methods: ${methodHelp()}`, DEFAULT_METHODS)
    .option('--target <class>', "explained class: 'predicted', a class index or a class name", 'predicted')
    .requiredOption(
      '--out <dir>',
      'output folder (one sub-folder per method; a new or empty folder, or an earlier explain-classifier output)',
    )
    .option('--ig-steps <m>', 'integrated gradients: interpolation steps', '32')
    .option('--ig-baseline <b>', 'integrated gradients: baseline zero, mean or a number', 'zero')
    .option('--sg-samples <n>', 'SmoothGrad: noisy copies', '32')
    .option('--sg-noise <f>', "SmoothGrad: σ as a fraction of each sample's value range", '0.1')
    .option('--sg-variant <v>', `SmoothGrad: ${SMOOTHGRAD_VARIANTS.join(', ')}`, 'plain')
    .option('--seed <n>', 'SmoothGrad noise seed', '0')
    .option('--batch-size <n>', 'at most this many inputs per forward/backward pass', '256')
    .option('--upscale <k>', 'heat-map PNG enlargement (default 8 for maps up to 64 px wide)')
    .action(async (opts: Options) => {
      const select = sampleSelection(opts);
      const gradient = gradientOptions(opts);
      const upscale = opts.upscale === undefined ? undefined : parseCount(opts.upscale, '--upscale');
      checkOutputFolder(opts.out, 'classifier-explanations');
      (await import('../data/data-spec.ts')).parseDataSpec(opts.data); // a wrong spec stops here, before the runtime loads
      const { progress } = await startRuntime(program);
      const { explainClassifierToFolder } = await import('../run/explain-classifier-run.ts');
      const result = await explainClassifierToFolder({
        model: opts.model,
        data: opts.data,
        out: opts.out,
        select,
        methods: opts.method,
        target: opts.target,
        gradient,
        upscale,
        progress,
      });
      process.stderr.write(
        `oc-explain: ${result.methods.length} method(s) × ${result.samples.length} sample(s) written to ${opts.out}\n`,
      );
    });
}
