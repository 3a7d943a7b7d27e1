/**
 * The files of explained outliers, as `oc-explain explain` writes them, built aside and renamed
 * into place: inputs/ (images), one relevance folder per method, and explain.json (the samples with
 * o(x), decision and Σ R of OC-DTD).
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { writeInputImages, writeRelevanceBatch } from '../explain/relevance-output.ts';
import { writeDirAtomic } from '../io/atomic-write.ts';
import { mapShape, type MethodMaps, type RunExplainer } from './run-explainer.ts';

export interface ExplainedSample {
  index: number;
  /** where the sample is in the user's files (PNG path, CSV line) */
  name: string;
  label: string | null;
  /** θ of the model that ranks the sample (its class's with --per-class): o(x) > θ ⇔ outlier */
  threshold: number;
  outlierness: number;
  decision: number;
  /** Σ R of the OC-DTD map (= o(x) up to the composite's conservation), when OC-DTD was run */
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
    ocdtdSum: ocdtd
      ? ocdtd.maps.subarray(k * height * width, (k + 1) * height * width).reduce((a, b) => a + b, 0)
      : null,
  }));
}

export async function writeExplanations(
  out: string,
  explainer: RunExplainer,
  indices: number[],
  results: readonly MethodMaps[],
  info: { composite: string; upscale?: number },
): Promise<ExplainedSample[]> {
  const { dataset, config } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const samples = describeExplained(explainer, indices, results);
  const options = { upscale: info.upscale };
  await writeDirAtomic(out, 'explain.json', async (tmp) => {
    if (dataset.sampleShape.length === 3)
      await writeInputImages(tmp, indices, explainer.inputs(indices), dataset.sampleShape, options);
    for (const r of results) {
      await writeRelevanceBatch(
        tmp,
        { method: r.method, indices, maps: r.maps, height, width, perSample: samples.map((s) => ({ ...s })) },
        options,
      );
    }
    const summary = {
      run: explainer.run.dir,
      models: config.models.map((m) => ({ className: m.className, threshold: m.threshold })),
      composite: info.composite,
      methods: results.map((r) => r.method),
      samples,
    };
    await writeFile(join(tmp, 'explain.json'), JSON.stringify(summary, null, 2) + '\n');
  });
  return samples;
}
