/**
 * `oc-explain benchmark`: the anomaly benchmark on a data set, written as one folder —
 * benchmark.json (settings and every score) and report.html (the tables, and per anomaly type a
 * few samples with the mask outlined and every method's map).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadDataset, parseDataSpec } from '../data/data-spec.ts';
import { loadModel } from '../features/model-io.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { renderBenchmarkHtml, type BenchmarkReportData } from '../report/benchmark-report.ts';
import type { MaskedExample, ScoreTable } from '../report/report-data.ts';
import { runAnomalyBenchmark, type AnomalyBenchmark, type AnomalyBenchmarkOptions } from './anomaly-benchmark.ts';
import { detectionRows, gapRows, methodRows } from './benchmark-table.ts';

export const BENCHMARK_FILE = 'benchmark.json';
export const BENCHMARK_REPORT = 'report.html';

export interface BenchmarkRunOptions extends Omit<AnomalyBenchmarkOptions, 'featureModel'> {
  data: string;
  /** a tfjs classifier trained on clean data to take the features from, instead of training one */
  featureModel?: string;
  out: string;
}

/** The report page of a benchmark result. */
export function benchmarkReportData(result: AnomalyBenchmark): BenchmarkReportData {
  const s = result.settings;
  const tables: ScoreTable[] = s.features.map((features) => {
    const { header, rows, best } = methodRows(result, features);
    return {
      caption: `${features} features: pixel ROC AUC per anomaly type (mean over classes ${s.classes.join(', ')}), top-|mask| precision, span-normalised flipping areas (lower is better); best in bold`,
      header,
      rows,
      best,
    };
  });
  tables.push({
    caption: 'detection: ROC AUC of o(x), planted vs clean; share of planted among the top k',
    ...detectionRows(result),
  });
  tables.push({
    caption: "distance of each OC-DTD variant's explained output from the SVM's o(x)",
    ...gapRows(result),
  });
  const exampleGroups = s.types.map((type) => ({
    heading: type,
    examples: result.examples
      .filter((e) => e.type === type)
      .map((e, k): MaskedExample => ({
        caption: `class ${e.className}, ${e.features}: o(x) = ${e.outlierness.toPrecision(4)}${e.outlier ? ' (outlier)' : ' (not detected)'}`,
        index: k,
        image: { height: e.height, width: e.width, channels: 1, pixels: e.image },
        mask: e.mask,
        maps: e.maps.map(({ method, map }) => ({ method, values: map })),
      })),
  }));
  return {
    title: 'oc-explain anomaly benchmark',
    summary: [
      `${s.source}, classes ${s.classes.join(', ')}: ${s.perClass} samples each, ${Math.round(100 * s.rate)} % of them with a planted anomaly (${s.types.join(', ')}), ` +
        `one-class SVM with ν = ${s.nu}, γ = ${s.gamma} on ${s.features.join(' and ')} features` +
        (s.networkAccuracy !== null
          ? ` (the CNN reaches ${(100 * s.networkAccuracy).toFixed(1)} % held-out accuracy on clean data)`
          : '') +
        `; OC-DTD below the features with ${s.composite}.`,
      'Pixel ROC AUC: the chance that a changed pixel is more relevant than an unchanged one (0.5 is chance). Precision: the share of the |mask| most relevant pixels that were changed. ' +
        `Flipping: ${s.flipPerType} planted samples per type and class, 2×2 patches replaced most relevant first by the mean image or a blurred copy, the curve of o(x) scaled to run from 1 (start) to 0 (fully flipped); its area, lower is better.`,
    ],
    tables,
    exampleGroups,
  };
}

export async function benchmarkRun(options: BenchmarkRunOptions): Promise<AnomalyBenchmark> {
  const dataset = loadDataset(parseDataSpec(options.data));
  const featureModel = options.featureModel ? await loadModel(options.featureModel) : undefined;
  let result: AnomalyBenchmark;
  try {
    result = await runAnomalyBenchmark(dataset, { ...options, featureModel });
  } finally {
    featureModel?.dispose();
  }
  await writeDirAtomic(options.out, 'benchmark', async (tmp) => {
    const { settings, scores, detection, gaps, seconds } = result;
    await writeFile(
      join(tmp, BENCHMARK_FILE),
      JSON.stringify({ settings, scores, detection, gaps, seconds }, null, 1) + '\n',
    );
    await writeFile(join(tmp, BENCHMARK_REPORT), renderBenchmarkHtml(benchmarkReportData(result)));
  });
  return result;
}
