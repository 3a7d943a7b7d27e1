/**
 * The anomaly benchmark as text: per feature space, one row per method with its pixel ROC AUC per
 * anomaly type (mean over the classes), the mean over types, the top-|mask| precision and the
 * flipping areas; then detection, and how far each variant's output is from the SVM's o(x).
 */
import type { AnomalyType } from '../data/planted-anomalies.ts';
import type { AnomalyBenchmark, FeatureSpace, MethodScores } from './anomaly-benchmark.ts';
import { textTable } from './text-table.ts';
import { RANDOM_METHOD } from '../metrics/pixel-flipping.ts';

const mean = (values: number[]) => {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
};

const format = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');

export interface MethodSummary {
  method: string;
  /** pixel AUC per type, mean over the classes */
  auc: Record<string, number>;
  /** mean of the per-type AUCs */
  meanAuc: number;
  precision: number;
  flipMean: number;
  flipBlurred: number;
}

/** One summary per method of a feature space, in the benchmark's method order. */
export function summarize(result: AnomalyBenchmark, features: FeatureSpace): MethodSummary[] {
  const types = result.settings.types;
  return result.settings.methods.map((method) => {
    const rows = result.scores.filter((s) => s.features === features && s.method === method);
    const ofType = (type: AnomalyType, pick: (s: MethodScores) => number) =>
      mean(rows.filter((s) => s.type === type).map(pick));
    const auc = Object.fromEntries(types.map((t) => [t, ofType(t, (s) => s.pixelAuc)]));
    const byType = (pick: (s: MethodScores) => number) => mean(types.map((t) => ofType(t, pick)));
    return {
      method,
      auc,
      meanAuc: mean(Object.values(auc)),
      precision: byType((s) => s.precision),
      flipMean: byType((s) => s.flipArea.mean),
      flipBlurred: byType((s) => s.flipArea.blurred),
    };
  });
}

export interface TableRows {
  header: string[];
  rows: string[][];
  /** the best cell of each score column, [row, column] */
  best: Array<[number, number]>;
}

/** [row, column] of the highest (or lowest) finite value of each given column. */
function bestCells(values: number[][], columns: Array<{ column: number; lower: boolean }>): Array<[number, number]> {
  return columns.flatMap(({ column, lower }) => {
    let best = -1;
    values.forEach((row, r) => {
      const v = row[column];
      if (Number.isFinite(v) && (best < 0 || (lower ? v < values[best][column] : v > values[best][column]))) best = r;
    });
    return best < 0 ? [] : [[best, column + 1] as [number, number]];
  });
}

/** One row per method of a feature space: AUC per type, mean AUC, precision, flipping areas. */
export function methodRows(result: AnomalyBenchmark, features: FeatureSpace): TableRows {
  const types = result.settings.types;
  const all = summarize(result, features);
  const summaries = all.filter((s) => s.method !== RANDOM_METHOD);
  const floor = all.find((s) => s.method === RANDOM_METHOD);
  const values = [...summaries, ...(floor ? [floor] : [])].map((s) => [
    ...types.map((t) => s.auc[t]),
    s.meanAuc,
    s.precision,
    s.flipMean,
    s.flipBlurred,
  ]);
  const columns = [
    ...types.map((_, c) => ({ column: c, lower: false })),
    { column: types.length, lower: false },
    { column: types.length + 1, lower: false },
    { column: types.length + 2, lower: true },
    { column: types.length + 3, lower: true },
  ];
  return {
    header: ['method', ...types, 'mean AUC', 'precision', 'flip mean', 'flip blurred'],
    rows: values.map((row, r) => [(r < summaries.length ? summaries[r] : floor!).method, ...row.map(format)]),
    best: bestCells(values.slice(0, summaries.length), columns),
  };
}

export function detectionRows(result: AnomalyBenchmark): TableRows {
  const types = result.settings.types;
  const rows = result.settings.features.flatMap((features) =>
    result.settings.classes.map((className) => {
      const of = (type: AnomalyType | 'all') =>
        result.detection.find((d) => d.features === features && d.className === className && d.type === type)!;
      return [
        `${features} ${className}`,
        format(of('all').auc),
        format(of('all').topShare),
        ...types.map((t) => format(of(t).auc)),
      ];
    }),
  );
  return { header: ['setting', 'AUC', 'top-k share', ...types.map((t) => `AUC ${t}`)], rows, best: [] };
}

export function gapRows(result: AnomalyBenchmark): TableRows {
  const methods = [...new Set(result.gaps.map((g) => g.method))];
  const rows = methods.map((method) => [
    method,
    ...result.settings.features.map((features) =>
      format(
        mean(result.gaps.filter((g) => g.method === method && g.features === features).map((g) => g.medianRelativeGap)),
      ),
    ),
  ]);
  return { header: ['variant', ...result.settings.features.map((f) => `|out − o|/o, ${f}`)], rows, best: [] };
}

const text = (t: TableRows) => textTable(t.header, t.rows);

/** Everything, as printed by the bench and the command. */
export function benchmarkText(result: AnomalyBenchmark): string {
  const s = result.settings;
  const svSamples = result.gaps
    .filter((g) => g.method === result.gaps[0]?.method)
    .reduce((a, g) => a + g.supportVectorSamples, 0);
  return [
    `anomaly benchmark on ${s.source}, classes ${s.classes.join(', ')}: ${s.perClass} samples each, ${Math.round(100 * s.rate)} % planted (${s.types.join(', ')}), OC-SVM ν = ${s.nu}, γ = ${s.gamma}, composite ${s.composite}` +
      (s.networkAccuracy !== null
        ? `, feature network held-out accuracy ${(100 * s.networkAccuracy).toFixed(1)} %`
        : ''),
    ...s.features.flatMap((features) => [
      '',
      `${features} features — pixel ROC AUC per type (mean over classes), top-|mask| precision, span-normalised flipping area (${s.flipPerType} samples per type and class, lower is better):`,
      text(methodRows(result, features)),
    ]),
    '',
    'detection (o(x), planted vs clean):',
    text(detectionRows(result)),
    '',
    `distance of each variant's explained output from the SVM's o(x) (median over planted samples; ${svSamples} of them are support vectors):`,
    text(gapRows(result)),
    '',
    `${result.seconds.toFixed(0)} s`,
  ].join('\n');
}
