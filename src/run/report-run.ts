/**
 * The HTML report of a run: ReportData filled from the run folder (run facts, the top outliers with
 * every method's map, OC-DTD first, their pixel-flipping curves, the classifier's own explanations
 * when the run has a feature network, NEON clusters on request), written as one file.
 */
import type { FlipNormalization } from '../metrics/flip-normalization.ts';
import { writeReport } from '../report/report.ts';
import { checkReportTarget } from '../report/report-file.ts';
import {
  areasOfSample,
  type ClassifierSection,
  type ClusterExplanation,
  type OutlierRow,
  type ReportData,
  type MaskScores,
  type RunInfo,
} from '../report/report-data.ts';
import type { PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import type { ClassifierMethod } from '../explain/classifier-methods.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/explain-output.ts';
import type { OutlierMethodName } from '../neuralize/outlier-methods.ts';
import { mapShape } from '../data/dataset.ts';
import { clusterRun } from './cluster-run.ts';
import {
  evaluateClassifierExplanations,
  evaluateOutlierExplanations,
  type FlipSettings,
  type ReferenceKind,
} from './evaluate-run.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import type { MethodMaps, RunExplainer } from './run-explainer.ts';
import { topOutliers } from './scores-csv.ts';
import { sampleImage } from './sample-image.ts';
import { evaluateAgainstMasks, maskScoresForReport } from './mask-scores.ts';
import type { SampleMasks } from '../data/mask-folder.ts';
import type { OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';

export interface ReportRunOptions {
  /** outliers shown (default 12) */
  top?: number;
  methods: readonly OutlierMethodName[];
  composite?: string;
  /** the OC-DTD variant (default DEFAULT_OCDTD_VARIANT) */
  ocdtd?: OcdtdVariant;
  /** the user's ground-truth masks: the outlier explanations of these samples are scored against them */
  masks?: SampleMasks;
  gradient?: GradientOptions;
  /** outlier flipping: reference (default nearest), patch size, curve points */
  reference?: ReferenceKind;
  /** outlier flipping: what a curve is scaled by (default span) */
  normalize?: FlipNormalization;
  patchSize?: number;
  steps?: number;
  /** classifier section: samples (the first ones; 0 leaves the section out) and methods */
  classifierSamples?: number;
  classifierMethods: readonly ClassifierMethod[];
  /** NEON section: k clusters (null: none), samples shown per cluster */
  clusters?: number | null;
  clusterSamples?: number;
  title?: string;
  /** explanations of exactly the `top` outliers and a flipping result, computed elsewhere, to reuse */
  explanations?: MethodMaps[];
  outlierFlipping?: PixelFlippingResult;
  /** what the job tells the user while it works (default: nothing) */
  progress?: Progress;
}

export function runInfo(explainer: RunExplainer, title?: string): RunInfo {
  const { config } = explainer.run;
  const network = config.featureNetwork;
  const features =
    config.features === 'pixels'
      ? `pixels (${config.featureDim} values)`
      : `${config.features}, layer '${config.featureLayer}' (${config.featureDim} features)`;
  const details = [
    { name: 'scored samples', value: String(config.nSamples) },
    { name: 'samples with f(x) < 0', value: String(config.nOutliers) },
    { name: 'normal classes', value: config.normal ? config.normal.join(', ') : 'all samples (no labels used)' },
    ...(network
      ? [
          {
            name: 'feature network',
            value: `${network.kind}${network.epochs !== null ? `, ${network.epochs} epochs` : ''}`,
          },
          ...(network.heldOutAccuracy !== null
            ? [{ name: 'held-out accuracy', value: `${(100 * network.heldOutAccuracy).toFixed(2)} %` }]
            : []),
        ]
      : []),
    { name: 'seed', value: String(config.seed) },
    { name: 'trained', value: `${config.createdAt} (${config.backend})` },
  ];
  return {
    ...(title ? { title } : {}),
    data: config.data,
    nTrain: config.svm.nFit,
    features,
    kernel: config.svm.kernel === 'rbf' ? 'gaussian (rbf)' : config.svm.kernel,
    nu: config.svm.nu,
    gamma: config.svm.gamma,
    nSupportVectors: config.svm.nSupport,
    threshold: config.svm.threshold,
    trainingSeconds: (network?.trainSeconds ?? 0) + config.svm.fitSeconds,
    rocAuc: config.rocAuc,
    details,
  };
}

function mapOf(maps: Float32Array, k: number, size: number): Float32Array {
  return maps.slice(k * size, (k + 1) * size);
}

async function outlierPart(
  explainer: RunExplainer,
  o: ReportRunOptions,
): Promise<{ rows: OutlierRow[]; flipping: PixelFlippingResult | null }> {
  const { scores, dataset } = explainer.run;
  const progress = o.progress ?? SILENT_PROGRESS;
  const indices = topOutliers(scores, o.top ?? 12).map((s) => s.index);
  const [height, width] = mapShape(dataset.sampleShape);
  const size = height * width;
  let explanations = o.explanations;
  let flipping = o.outlierFlipping ?? null;
  const methods = explanations ? explanations.map((e) => e.method) : explainer.usableMethods(o.methods, progress.note);
  if (!explanations) {
    explanations = await withSteps(
      progress,
      `explaining the top ${indices.length} outliers (${methods.join(', ')})`,
      indices.length * methods.length,
      (update) =>
        explainer.explain(indices, methods, {
          composite: o.composite,
          ocdtd: o.ocdtd,
          gradient: o.gradient,
          onProgress: update,
        }),
      'sample × method',
    );
  }
  if (!flipping) {
    const settings: FlipSettings = {
      reference: o.reference ?? 'nearest',
      normalize: o.normalize ?? 'span',
      patchSize: o.patchSize,
      steps: o.steps,
    };
    const done = explanations;
    flipping = (
      await withSteps(progress, 'pixel flipping of the outlier explanations', indices.length, (update) =>
        evaluateOutlierExplanations(explainer, indices, methods, {
          ...settings,
          explanations: done,
          onProgress: update,
        }),
      )
    ).flipping;
  }
  const rows = indices.map((index, k) => ({
    index,
    label: scores[index].label || null,
    outlierness: explanations[0].outlierness[k],
    decision: scores[index].decision,
    image: sampleImage(explainer, index),
    maps: explanations.map((e) => ({ method: e.method, values: mapOf(e.maps, k, size) })),
  }));
  return { rows, flipping };
}

async function classifierPart(explainer: RunExplainer, o: ReportRunOptions): Promise<ClassifierSection | null> {
  const count = Math.min(o.classifierSamples ?? 6, explainer.run.dataset.n);
  const network = explainer.run.config.featureNetwork;
  if (!explainer.classifierNetwork || !network || count === 0 || o.classifierMethods.length === 0) return null;
  const indices = Array.from({ length: count }, (_, i) => i);
  const e = await withSteps(
    o.progress ?? SILENT_PROGRESS,
    `explaining the classifier on ${count} samples (${o.classifierMethods.map((m) => m.name).join(', ')})`,
    count,
    (update) =>
      evaluateClassifierExplanations(explainer, indices, o.classifierMethods, {
        reference: 'zero',
        patchSize: o.patchSize,
        steps: o.steps,
        gradient: o.gradient,
        onProgress: update,
      }),
  );
  const { dataset, scores } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const rows = e.indices.map((index, k) => ({
    index,
    label: scores[index].label || null,
    predicted: dataset.classNames[e.explanation.predicted[k]] ?? String(e.explanation.predicted[k]),
    logit: e.explanation.logits[k],
    image: sampleImage(explainer, index),
    maps: e.explanation.methods.map((m) => ({ method: m.method, values: mapOf(m.maps, k, height * width) })),
    areas: areasOfSample(e.flipping, k),
  }));
  const accuracy =
    network.heldOutAccuracy === null ? '' : `, held-out accuracy ${(100 * network.heldOutAccuracy).toFixed(2)} %`;
  const left = e.skipped.length ? `; left out (predicted logit ≤ 0): ${e.skipped.join(', ')}` : '';
  return {
    description: `The ${network.kind} feature network as a classifier${accuracy}: each map explains the logit of the predicted class. Pixel flipping with reference zero${left}.`,
    rows,
    flipping: e.flipping,
  };
}

async function clusterPart(explainer: RunExplainer, o: ReportRunOptions): Promise<ClusterExplanation[] | null> {
  if (!o.clusters) return null;
  const k = o.clusters;
  const result = await withSteps(
    o.progress ?? SILENT_PROGRESS,
    `k-means with ${k} clusters and NEON explanations`,
    k,
    (update) =>
      clusterRun(explainer, { k, explain: o.clusterSamples ?? 3, composite: o.composite, onProgress: update }),
    'clusters',
  );
  const { dataset, scores } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  return result.clusters.map((c) => {
    const main = c.labels ? Object.entries(c.labels).sort((a, b) => b[1] - a[1])[0] : null;
    return {
      cluster: main ? `${c.cluster} (mostly ${main[0]}: ${main[1]})` : String(c.cluster),
      size: c.size,
      samples: c.explained.map((index, n) => ({
        index,
        label: scores[index].label || null,
        image: sampleImage(explainer, index),
        map: mapOf(c.maps, n, height * width),
      })),
    };
  });
}

export async function buildRunReport(explainer: RunExplainer, o: ReportRunOptions): Promise<ReportData> {
  const outliers = await outlierPart(explainer, o);
  return {
    run: runInfo(explainer, o.title),
    outliers: outliers.rows,
    outlierFlipping: outliers.flipping,
    classifier: await classifierPart(explainer, o),
    clusters: await clusterPart(explainer, { ...o, composite: o.composite ?? DEFAULT_COMPOSITE }),
    masks: o.masks ? await maskPart(explainer, o.masks, o) : null,
  };
}

async function maskPart(explainer: RunExplainer, masks: SampleMasks, o: ReportRunOptions): Promise<MaskScores> {
  (o.progress ?? SILENT_PROGRESS).stage(
    `scoring the outlier explanations of ${masks.indices.length} samples against their masks`,
  );
  const methods = explainer.usableMethods(o.methods, (o.progress ?? SILENT_PROGRESS).note);
  const evaluation = await evaluateAgainstMasks(explainer, masks, methods, {
    composite: o.composite,
    ocdtd: o.ocdtd,
    gradient: o.gradient,
  });
  return maskScoresForReport(explainer, evaluation);
}

/** Build the report and write it to `out` atomically (only a new file, or a report of ours, is replaced). */
export async function reportRun(explainer: RunExplainer, out: string, o: ReportRunOptions): Promise<ReportData> {
  checkReportTarget(out, [explainer.run.dir]);
  const data = await buildRunReport(explainer, o);
  (o.progress ?? SILENT_PROGRESS).stage(`writing ${out}`);
  await writeReport(out, data);
  return data;
}
