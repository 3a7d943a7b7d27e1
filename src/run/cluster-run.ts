/**
 * Clusters of a run (docs/methods.md#neon): k-means on the run's features (the pixels for a pixel run),
 * then NEON explanations, through the feature network down to the pixels, of the samples nearest
 * each centroid, and the files that show them.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sumChannels } from '../explain/gradient-methods.ts';
import { writeInputImages, writeRelevanceBatch } from '../explain/relevance-output.ts';
import { mapShape } from '../data/dataset.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { writeNpy } from '../io/npy.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/explain-output.ts';
import { fitKMeans, neon, neuralizeKMeans, type KMeansFit } from '../neuralize/neon.ts';
import { SILENT_PROGRESS, withSteps, type Progress } from './progress.ts';
import { RunExplainer } from './run-explainer.ts';

export interface ClusterRunOptions {
  k: number;
  /** samples explained per cluster: the ones nearest its centroid */
  explain: number;
  /** LRP composite of the feature network's layers (default DEFAULT_COMPOSITE) */
  composite?: string;
  /** seed of the k-means initialisation (default 0) */
  seed?: number;
  /** NEON soft-min stiffness (default 1) */
  beta?: number;
  /** called after each cluster is explained */
  onProgress?: (clustersDone: number) => void;
}

export interface ClusterExplanationResult {
  cluster: number;
  size: number;
  /** class name → members, when the data has labels */
  labels: Record<string, number> | null;
  /** data-set indices of the explained samples, nearest the centroid first */
  explained: number[];
  /** NEON relevance per pixel, explained.length × H × W */
  maps: Float32Array;
  /** f_c(x) of each explained sample */
  logits: Float32Array;
  /** Σ R over every input value of each explained sample (NEON conserves: ≈ f_c(x)) */
  relevanceSums: Float32Array;
}

export interface ClusterRunResult {
  fit: KMeansFit;
  composite: string;
  beta: number;
  clusters: ClusterExplanationResult[];
}

function labelCounts(explainer: RunExplainer, members: number[]): Record<string, number> | null {
  const { dataset } = explainer.run;
  if (!dataset.labels) return null;
  const counts: Record<string, number> = {};
  for (const i of members) {
    const name = dataset.classNames[dataset.labels[i]] ?? String(dataset.labels[i]);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/** The `count` members nearest the centroid (squared distance in feature space; ties: lower index). */
function nearestMembers(
  features: Float32Array,
  dim: number,
  centroid: Float32Array,
  members: number[],
  count: number,
): number[] {
  const distance = (i: number) => {
    let s = 0;
    for (let t = 0; t < dim; t++) s += (features[i * dim + t] - centroid[t]) ** 2;
    return s;
  };
  return members
    .map((i) => ({ i, d: distance(i) }))
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, count)
    .map((m) => m.i);
}

/** NEON relevance of cluster `c` for the samples `indices`. */
function explainCluster(
  explainer: RunExplainer,
  fit: KMeansFit,
  c: number,
  indices: number[],
  composite: string,
  beta: number,
) {
  const kmeans = neuralizeKMeans(fit, { target: c, beta });
  const features = explainer.featureNetwork;
  const network = features
    ? features.extend(...kmeans.layers)
    : kmeans.network(null, explainer.run.dataset.sampleShape);
  const x = explainer.tensorOf(indices);
  try {
    const { relevance, logit } = neon(network, x, { composite, compositeOptions: explainer.compositeOptions });
    const [maps, sums] = tf.tidy(() => {
      const perSample = tf.reshape(relevance, [indices.length, -1]);
      return [sumChannels(relevance).dataSync() as Float32Array, tf.sum(perSample, 1).dataSync() as Float32Array];
    });
    relevance.dispose();
    return { maps: Float32Array.from(maps), logits: logit, relevanceSums: Float32Array.from(sums) };
  } finally {
    x.dispose();
    kmeans.dispose();
  }
}

export function clusterRun(explainer: RunExplainer, options: ClusterRunOptions): ClusterRunResult {
  const { k } = options;
  if (!(Number.isInteger(k) && k >= 2)) throw new UserError(`--k: NEON needs at least 2 clusters, got ${k}`);
  if (!(Number.isInteger(options.explain) && options.explain >= 1))
    throw new UserError(`--explain must be a whole number ≥ 1, got ${options.explain}`);
  const composite = options.composite ?? DEFAULT_COMPOSITE;
  const beta = options.beta ?? 1;
  const data = explainer.features();
  const dim = data.length / explainer.run.dataset.n;
  const fit = fitKMeans(data, explainer.run.dataset.n, dim, { k, seed: options.seed ?? 0 });
  const clusters: ClusterExplanationResult[] = [];
  for (let c = 0; c < k; c++) {
    const members: number[] = [];
    fit.clusters.forEach((assigned, i) => assigned === c && members.push(i));
    const explained = nearestMembers(
      data,
      dim,
      fit.centroids.subarray(c * dim, (c + 1) * dim),
      members,
      options.explain,
    );
    // k-means may leave a cluster empty: nothing to explain there
    const explanation =
      explained.length > 0
        ? explainCluster(explainer, fit, c, explained, composite, beta)
        : { maps: new Float32Array(0), logits: new Float32Array(0), relevanceSums: new Float32Array(0) };
    clusters.push({
      cluster: c,
      size: members.length,
      labels: labelCounts(explainer, members),
      explained,
      ...explanation,
    });
    options.onProgress?.(c + 1);
  }
  return { fit, composite, beta, clusters };
}

/**
 * Write the clusters into the folder `dir` (a fresh temporary folder): inputs/, one relevance folder
 * per cluster (cluster-<c>/, as `explain` writes a method), centroids.npy [k, dim] and clusters.json.
 */
export async function writeClusterFiles(
  dir: string,
  explainer: RunExplainer,
  result: ClusterRunResult,
  options: { upscale?: number } = {},
): Promise<void> {
  const { dataset } = explainer.run;
  const [height, width] = mapShape(dataset.sampleShape);
  const label = (i: number) =>
    dataset.labels ? (dataset.classNames[dataset.labels[i]] ?? String(dataset.labels[i])) : null;
  const all = result.clusters.flatMap((c) => c.explained);
  if (dataset.sampleShape.length === 3 && all.length > 0)
    await writeInputImages(dir, all, explainer.inputs(all), dataset.sampleShape, options);
  for (const c of result.clusters) {
    if (c.explained.length === 0) continue;
    const perSample = c.explained.map((index, n) => ({
      cluster: c.cluster,
      label: label(index),
      logit: c.logits[n],
      relevanceSum: c.relevanceSums[n],
    }));
    await writeRelevanceBatch(
      dir,
      {
        method: `cluster-${c.cluster}`,
        indices: c.explained,
        maps: c.maps,
        height,
        width,
        perSample,
        info: { composite: result.composite, beta: result.beta },
      },
      options,
    );
  }
  await writeNpy(join(dir, 'centroids.npy'), result.fit.centroids, [result.fit.k, result.fit.dim]);
  const summary = {
    run: explainer.run.dir,
    k: result.fit.k,
    featureDim: result.fit.dim,
    composite: result.composite,
    beta: result.beta,
    iterations: result.fit.iterations,
    converged: result.fit.converged,
    clusters: result.clusters.map((c) => ({
      cluster: c.cluster,
      size: c.size,
      labels: c.labels,
      explained: c.explained,
      folder: `cluster-${c.cluster}`,
    })),
    assignments: Array.from(result.fit.clusters),
  };
  await writeFile(join(dir, 'clusters.json'), JSON.stringify(summary) + '\n');
}

export interface ClustersToFolderOptions extends Omit<ClusterRunOptions, 'onProgress'> {
  run: string;
  out: string;
  upscale?: number;
  progress?: Progress;
}

/** `oc-explain clusters`: open the run, cluster and explain, write the folder `out` (built aside, renamed into place). */
export async function clustersToFolder(o: ClustersToFolderOptions): Promise<{ result: ClusterRunResult; n: number }> {
  const progress = o.progress ?? SILENT_PROGRESS;
  return writeDirAtomic(
    o.out,
    'clusters',
    async (dir) => {
      progress.stage(`opening run ${o.run}`);
      const explainer = await RunExplainer.open(o.run);
      try {
        const n = explainer.run.dataset.n;
        if (o.k > n) throw new UserError(`--k ${o.k}: the run has only ${n} samples`);
        const result = await withSteps(
          progress,
          `k-means with ${o.k} clusters and NEON explanations`,
          o.k,
          (update) => clusterRun(explainer, { ...o, onProgress: update }),
          'clusters',
        );
        progress.stage(`writing ${o.out}`);
        await writeClusterFiles(dir, explainer, result, { upscale: o.upscale });
        return { result, n };
      } finally {
        explainer.dispose();
      }
    },
    { inputs: [o.run] },
  );
}
