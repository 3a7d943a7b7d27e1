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
  type PlantedSection,
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
import { evaluateClassifierExplanations, evaluateOutlierExplanations, type FlipSettings } from './evaluate-run.ts';
import type { ReferenceKind } from './reference-kinds.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import type { MethodMaps, RunExplainer } from './run-explainer.ts';
import { chosenOutliers, topOutliersByClass } from './scores-csv.ts';
import { plantedDetection, type PlantedDetection } from '../metrics/planted-detection.ts';
import { plantedMasks } from '../data/planted-data.ts';
import { sampleImage } from './sample-image.ts';
import { evaluateAgainstMasks, maskScoresForReport } from './mask-scores.ts';
import type { SampleMasks } from '../data/mask-folder.ts';
import type { OcdtdVariant } from '../neuralize/ocdtd-variant-names.ts';

export interface ReportRunOptions {
  /** outliers shown (default 12; per class for a run with one SVM per class, default 2) */
  top?: number;
  /** planted samples shown in the planted-anomalies section, best ranked first (default 8) */
  plantedRows?: number;
  methods: readonly OutlierMethodName[];
  composite?: string;
  /** the OC-DTD variant (default DEFAULT_OCDTD_VARIANT) */
  ocdtd?: OcdtdVariant;
  /** the user's ground-truth masks: the outlier explanations of these samples are scored against them */
  masks?: SampleMasks;
  gradient?: GradientOptions;
  /** outlier flipping: reference (default nearest), patch size, curve points */
  reference?: ReferenceKind;
  /** outlier flipping: what a curve is scaled by (default start) */
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
  const features =
    config.features === 'pixels'
      ? `pixels (${config.featureDim} values)`
      : `${config.features}, ${config.featureLayers!.length > 1 ? 'layers' : 'layer'} ${config.featureLayers!.join(', ')} (${config.featureDim} features)`;
  const networkLines = config.featureNetworks.flatMap((network) => [
    {
      name: `feature network${config.featureNetworks.length > 1 ? ` (${network.kind})` : ''}`,
      value: `${network.kind}${network.epochs !== null ? `, ${network.epochs} epochs` : ''}${network.trainedOn !== null ? `, trained on ${network.trainedOn} samples` : ''}`,
    },
    ...(network.heldOutAccuracy !== null
      ? [{ name: 'held-out accuracy', value: `${(100 * network.heldOutAccuracy).toFixed(2)} %` }]
      : []),
  ]);
  const details = [
    { name: 'scored samples', value: String(config.nSamples) },
    { name: 'samples with f(x) < 0', value: String(config.nOutliers) },
    {
      name: 'normal classes',
      value: config.perClass
        ? 'each class against itself (one SVM per class)'
        : config.normal
          ? config.normal.join(', ')
          : 'all samples (no labels used)',
    },
    ...networkLines,
    ...(config.test
      ? [
          {
            name: 'held-out test set',
            value: `${config.test.data}, ${config.test.nSamples} samples${config.test.rocAuc === null ? '' : `, ROC AUC ${config.test.rocAuc.toFixed(4)}`}`,
          },
        ]
      : []),
    { name: 'seed', value: String(config.seed) },
    { name: 'trained', value: `${config.createdAt} (${config.backend})` },
  ];
  const single = config.models.length === 1 && config.models[0].className === null ? config.models[0] : null;
  const networkSeconds = config.featureNetworks.reduce((total, n) => total + n.trainSeconds, 0);
  return {
    ...(title ? { title } : {}),
    data: config.data,
    nTrain: config.models.reduce((total, m) => total + m.nFit, 0),
    features,
    kernel: config.svm.kernel === 'rbf' ? 'gaussian (rbf)' : config.svm.kernel,
    nu: config.svm.nu,
    ...(single
      ? { gamma: single.gamma, nSupportVectors: single.nSupport, threshold: single.threshold }
      : {
          models: config.models.map((m) => ({
            className: m.className ?? '',
            nTrain: m.nFit,
            nSupportVectors: m.nSupport,
            gamma: m.gamma,
            threshold: m.threshold,
          })),
        }),
    trainingSeconds: networkSeconds + config.models.reduce((total, m) => total + m.fitSeconds, 0),
    rocAuc: config.rocAuc,
    details,
  };
}

function mapOf(maps: Float32Array, k: number, size: number): Float32Array {
  return maps.slice(k * size, (k + 1) * size);
}

/** The report's outliers: the top ones, or the top ones of each class (with their class as group). */
export function reportedOutliers(explainer: RunExplainer, top?: number): Array<{ index: number; group?: string }> {
  const { scores, config } = explainer.run;
  if (!config.perClass) return chosenOutliers(scores, config, top ?? 12).map((s) => ({ index: s.index }));
  return topOutliersByClass(scores, config.classNames, top ?? 2).flatMap((g) =>
    g.outliers.map((s) => ({ index: s.index, group: `class ${g.className}` })),
  );
}

/** Rank of every sample among those its SVM ranks (1 = lowest decision value). */
function ranksByModel(explainer: RunExplainer): Int32Array {
  const { scores } = explainer.run;
  const ranks = new Int32Array(scores.length);
  const byModel = explainer.byModel(scores.map((s) => s.index));
  for (const { positions } of byModel) {
    [...positions]
      .sort((a, b) => scores[a].decision - scores[b].decision || a - b)
      .forEach((p, r) => (ranks[p] = r + 1));
  }
  return ranks;
}

/** One report row per sample: facts, image, planted mask, and each method's map. */
function outlierRows(
  explainer: RunExplainer,
  chosen: ReadonlyArray<{ index: number; group?: string }>,
  explanations: readonly MethodMaps[],
): OutlierRow[] {
  const { scores, dataset } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const size = height * width;
  const ranks = ranksByModel(explainer);
  const truth = dataset.anomalies;
  return chosen.map(({ index, group }, k) => ({
    index,
    name: scores[index].name,
    label: scores[index].label || null,
    ...(group !== undefined ? { group } : {}),
    rank: ranks[index],
    ...(truth
      ? { planted: { type: truth.types[index], mask: truth.masks.slice(index * size, (index + 1) * size) } }
      : {}),
    outlierness: explanations[0].outlierness[k],
    decision: scores[index].decision,
    image: sampleImage(explainer, index),
    maps: explanations.map((e) => ({ method: e.method, values: mapOf(e.maps, k, size) })),
  }));
}

async function outlierPart(
  explainer: RunExplainer,
  o: ReportRunOptions,
): Promise<{ rows: OutlierRow[]; flipping: PixelFlippingResult | null }> {
  const progress = o.progress ?? SILENT_PROGRESS;
  const chosen = reportedOutliers(explainer, o.top);
  const indices = chosen.map((c) => c.index);
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
      normalize: o.normalize ?? 'start',
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
  return { rows: outlierRows(explainer, chosen, explanations), flipping };
}

/**
 * Detection of the planted anomalies (per SVM: ROC AUC planted vs untouched, the share of planted
 * among the top k, k = planted) and the best-ranked planted samples explained, their maps scored
 * against the planted masks as against a user's own (see mask-scores.ts).
 */
async function plantedPart(
  explainer: RunExplainer,
  o: ReportRunOptions,
): Promise<{ section: PlantedSection; masks: MaskScores } | null> {
  const { scores, dataset, config } = explainer.run;
  const truth = dataset.anomalies;
  if (!truth) return null;
  const ranks = ranksByModel(explainer);
  const detection: PlantedSection['detection'] = [];
  const found: PlantedDetection[] = [];
  for (const { model, positions } of explainer.byModel(scores.map((s) => s.index))) {
    const types = positions.map((i) => truth.types[i]);
    const planted = types.filter((t) => t !== null).length;
    if (planted === 0 || planted === positions.length) continue;
    const result = plantedDetection(
      positions.map((i) => -scores[i].decision),
      types,
    );
    found.push(result);
    if (config.perClass)
      detection.push({
        name: `class ${config.models[model].className}`,
        value: `${planted} planted of ${positions.length}: ROC AUC ${result.auc.toFixed(3)}, top-${planted} share ${result.topShare.toFixed(2)}`,
      });
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const total = truth.types.filter((t) => t !== null).length;
  if (found.length > 0) {
    const over = config.perClass ? ' (mean over the classes)' : '';
    detection.unshift(
      { name: 'planted samples', value: `${total} of ${dataset.n}` },
      { name: `ROC AUC planted vs untouched${over}`, value: mean(found.map((f) => f.auc)).toFixed(3) },
      {
        name: `share of planted among the top k (k = planted)${over}`,
        value: mean(found.map((f) => f.topShare)).toFixed(3),
      },
    );
  }
  const planted = scores
    .filter((s) => truth.types[s.index] !== null)
    .sort((a, b) => ranks[a.index] - ranks[b.index] || a.decision - b.decision)
    .slice(0, o.plantedRows ?? 8)
    .map((s) => ({ index: s.index }));
  const methods = explainer.usableMethods(o.methods, () => undefined);
  (o.progress ?? SILENT_PROGRESS).stage(`explaining ${planted.length} planted samples, scored against their masks`);
  const evaluation = await evaluateAgainstMasks(
    explainer,
    plantedMasks(
      dataset,
      planted.map((p) => p.index),
    ),
    methods,
    { composite: o.composite, ocdtd: o.ocdtd, gradient: o.gradient },
  );
  return {
    section: {
      description: `The data spec planted an artefact (blob, scratch, occlusion, fragment of another class, noise patch) into ${total} samples; the mask outlines the pixels it changed. The best-ranked planted samples follow, with their rank among the samples of their SVM; how well their maps fall inside the masks is scored below.`,
      detection,
      rows: outlierRows(explainer, planted, evaluation.explanations),
    },
    // the rows above show the samples: the scores only
    masks: maskScoresForReport(explainer, evaluation, 0),
  };
}

async function classifierPart(explainer: RunExplainer, o: ReportRunOptions): Promise<ClassifierSection | null> {
  const count = Math.min(o.classifierSamples ?? 6, explainer.run.dataset.n);
  const network = explainer.run.config.featureNetworks[0];
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
  const planted = await plantedPart(explainer, o);
  return {
    run: runInfo(explainer, o.title),
    outliers: outliers.rows,
    planted: planted?.section ?? null,
    outlierFlipping: outliers.flipping,
    classifier: await classifierPart(explainer, o),
    clusters: await clusterPart(explainer, { ...o, composite: o.composite ?? DEFAULT_COMPOSITE }),
    masks: o.masks ? await maskPart(explainer, o.masks, o) : (planted?.masks ?? null),
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
