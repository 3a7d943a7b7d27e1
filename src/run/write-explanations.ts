/**
 * `oc-explain explain`: the outlier explanations of chosen samples of a run, and their files, built
 * aside and renamed into place: inputs/ (images), one relevance folder per method, and
 * explain.json (the samples with o(x), decision and Σ R of OC-DTD).
 */
import {
  DEFAULT_OCDTD_VARIANT,
  parseOcdtdVariant,
  variantLabel,
  type OcdtdVariant,
} from '../neuralize/ocdtd-variant-names.ts';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFile } from 'node:fs/promises';
import { writeInputImages, writeRelevanceBatch } from '../explain/relevance-output.ts';
import { mapShape } from '../data/dataset.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import type { OutlierMethodName } from '../neuralize/method-names.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { SHARD_FILE, formatShardManifest, shardManifest, shardRange, type Shard } from './shard.ts';
import type { ThreadChoice } from './threads.ts';
import { RunExplainer, type MethodMaps, type SupportCompression } from './run-explainer.ts';

export const EXPLAIN_FILE = 'explain.json';

export interface ExplainedSample {
  index: number;
  /** where the sample is in the user's files (PNG path, CSV line) */
  name: string;
  label: string | null;
  /** θ of the model that ranks the sample (its class's with --per-class): o(x) > θ ⇔ outlier */
  threshold: number;
  outlierness: number;
  decision: number;
  /** the output the OC-DTD variant explains (o(x) itself for plain), when OC-DTD was run */
  explained: number | null;
  /** Σ R of the OC-DTD map (= the explained output up to the composite's conservation), when OC-DTD was run */
  ocdtdSum: number | null;
}

export function describeExplained(
  explainer: RunExplainer,
  indices: readonly number[],
  results: readonly MethodMaps[],
): ExplainedSample[] {
  const { scores, dataset, config } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const ocdtd = results.find((r) => r.method === 'ocdtd');
  return indices.map((index, k) => ({
    index,
    name: scores[index].name,
    label: scores[index].label || null,
    threshold: config.models[explainer.modelOf(index)].threshold,
    outlierness: results[0].outlierness[k],
    decision: scores[index].decision,
    explained: ocdtd?.explained ? ocdtd.explained[k] : null,
    ocdtdSum: ocdtd
      ? ocdtd.maps.subarray(k * height * width, (k + 1) * height * width).reduce((a, b) => a + b, 0)
      : null,
  }));
}

/** Write the files of explained samples into the folder `dir` (a fresh temporary folder). */
export async function writeExplanationFiles(
  dir: string,
  explainer: RunExplainer,
  indices: number[],
  results: readonly MethodMaps[],
  info: { composite: string; ocdtd?: string; upscale?: number },
): Promise<ExplainedSample[]> {
  const { dataset, config } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const samples = describeExplained(explainer, indices, results);
  const options = { upscale: info.upscale };
  if (dataset.sampleShape.length === 3)
    await writeInputImages(dir, indices, explainer.inputs(indices), dataset.sampleShape, options);
  for (const r of results) {
    await writeRelevanceBatch(
      dir,
      { method: r.method, indices, maps: r.maps, height, width, perSample: samples.map((s) => ({ ...s })) },
      options,
    );
  }
  const summary = {
    run: explainer.run.dir,
    models: config.models.map((m) => ({ className: m.className, threshold: m.threshold })),
    composite: info.composite,
    ocdtd: info.ocdtd ?? null,
    methods: results.map((r) => r.method),
    samples,
  };
  await writeFile(join(dir, EXPLAIN_FILE), JSON.stringify(summary, null, 2) + '\n');
  return samples;
}

/** Write the files of explained samples as the folder `out` (built aside, then renamed into place). */
export function writeExplanations(
  out: string,
  explainer: RunExplainer,
  indices: number[],
  results: readonly MethodMaps[],
  info: { composite: string; upscale?: number },
): Promise<ExplainedSample[]> {
  return writeDirAtomic(out, 'explanations', (dir) => writeExplanationFiles(dir, explainer, indices, results, info), {
    inputs: [explainer.run.dir],
  });
}

export interface ExplainRunOptions {
  /** the run folder */
  run: string;
  /** the output folder */
  out: string;
  methods: readonly OutlierMethodName[];
  /** the samples to explain, from the opened run */
  select: (explainer: RunExplainer) => number[];
  composite: string;
  /** the OC-DTD variant (default DEFAULT_OCDTD_VARIANT) */
  ocdtd?: OcdtdVariant;
  gradientSteps?: number;
  upscale?: number;
  /** explain with this many k-means prototypes in place of the support vectors */
  compress?: number;
  /** explain only this slice of the chosen samples, as a partial output for `merge` */
  shard?: Shard;
  /** OC-DTD on 1 or 2 threads, or 'auto' (two when the work pays for the worker's start-up) */
  threads?: ThreadChoice;
  progress?: Progress;
}

export interface ExplainRunResult {
  samples: ExplainedSample[];
  /** the methods explained (image-only methods are left out for vector data) */
  methods: OutlierMethodName[];
  /** with --per-class, each sample against its own class's SVM */
  perClass: boolean;
  /** what compressing each model's support vectors changed (with `compress`) */
  compression: SupportCompression[] | null;
}

/** Open the run, explain the chosen samples with every usable method and write the folder `out`. */
export async function explainRun(o: ExplainRunOptions): Promise<ExplainRunResult> {
  const progress = o.progress ?? SILENT_PROGRESS;
  return writeDirAtomic(
    o.out,
    'explanations',
    async (dir) => {
      progress.stage(`opening run ${o.run}`);
      const explainer = await RunExplainer.open(o.run, { compress: o.compress });
      try {
        const chosen = o.select(explainer);
        const { from, to } = o.shard ? shardRange(chosen.length, o.shard) : { from: 0, to: chosen.length };
        if (from === to)
          throw new UserError(
            `--shard ${o.shard!.index}/${o.shard!.count}: only ${chosen.length} sample(s) to explain, none for this shard; use at most ${chosen.length} shards`,
          );
        const indices = chosen.slice(from, to);
        const ocdtdLabel = variantLabel(o.ocdtd ?? parseOcdtdVariant(DEFAULT_OCDTD_VARIANT));
        const methods = explainer.usableMethods(o.methods, (line) => progress.note(line));
        const results = await withSteps(
          progress,
          `explaining ${indices.length} sample(s) with ${methods.join(', ')}`,
          indices.length * methods.length,
          (update) =>
            explainer.explain(indices, methods, {
              composite: o.composite,
              ocdtd: o.ocdtd,
              gradient: { steps: o.gradientSteps },
              threads: o.threads,
              onProgress: update,
            }),
          'sample × method',
        );
        progress.stage(`writing ${o.out}`);
        const samples = await writeExplanationFiles(dir, explainer, indices, results, {
          composite: o.composite,
          ocdtd: ocdtdLabel,
          upscale: o.upscale,
        });
        if (o.shard) {
          const job = {
            run: resolve(o.run),
            methods,
            composite: o.composite,
            ocdtd: ocdtdLabel,
            gradientSteps: o.gradientSteps ?? null,
            upscale: o.upscale ?? null,
            compress: o.compress ?? null,
            samples: chosen,
          };
          await writeFile(
            join(dir, SHARD_FILE),
            formatShardManifest(shardManifest('explain', o.shard, chosen.length, job)),
          );
        }
        return { samples, methods, perClass: explainer.run.config.perClass, compression: explainer.compression };
      } finally {
        explainer.dispose();
      }
    },
    { inputs: [o.run] },
  );
}
