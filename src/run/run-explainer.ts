/**
 * Everything needed to ask "why is this sample an outlier?" of a run: the network from the input to
 * the outlierness o(x) (feature map + scaling + neuralized SVM) of each of its models — one, or one
 * per class, each sample explained by its own class's —, the training inliers for the
 * nearest-neighbour baseline, and one call that explains chosen samples with chosen methods.
 */
import { tf } from '../runtime/runtime.ts';
import { isImageSet, mapShape, perPixelMaps, sampleSize } from '../data/dataset.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import type { CompositeOptions } from '../explain/composites.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import { forwardRows } from '../explain/feature-map.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import { compressSupportVectors } from '../neuralize/support-compression.ts';
import { NearestInlier } from '../neuralize/nearest-inlier.ts';
import {
  DEFAULT_OCDTD_VARIANT,
  parseOcdtdVariant,
  variantLabel,
  type OcdtdVariant,
} from '../neuralize/ocdtd-variant-names.ts';
import { variantNetwork, type VariantNetwork, type VariantSources } from '../neuralize/ocdtd-variants.ts';
import type { OcsvmLike } from '../neuralize/ocsvm-like.ts';
import { outlierRelevance, perPixelRelevance, type OutlierMethodName } from '../neuralize/outlier-methods.ts';
import { OcdtdPool } from '../neuralize/ocdtd-pool.ts';
import { UnsendableLayerError } from '../explain/network-spec.ts';
import type { PlainCompositeOptions } from '../explain/lrp-pool.ts';
import { UserError } from '../errors.ts';
import { pickSamples } from '../data/sample-source.ts';
import type { DetectorNetwork } from './detector.ts';
import type { FeatureSpace } from './feature-space.ts';
import { modelFitSamples } from './fit-sample.ts';
import {
  SECONDS_PER_DEEP_OCDTD_SAMPLE,
  SECONDS_PER_OCDTD_SAMPLE,
  twoThreadsPay,
  type ThreadChoice,
} from './threads.ts';
import { openRunWithData, type OpenRunWithData } from './open-run.ts';

export interface ExplainOptions {
  /** composite below the features for OC-DTD (default deep-taylor) */
  composite?: string;
  /** the OC-DTD variant (default DEFAULT_OCDTD_VARIANT) */
  ocdtd?: OcdtdVariant;
  gradient?: GradientOptions;
  /** samples per batch (bounds memory) */
  batchSize?: number;
  /** samples × methods done so far, after each method of each batch */
  onProgress?: (done: number) => void;
  /** OC-DTD on two threads (OcdtdPool): 1, 2, or 'auto' (default: when the work pays for the worker's start-up) */
  threads?: ThreadChoice;
}

/** Methods that look at the image itself, not the model: they need samples of shape [H, W, C]. */
export const IMAGE_ONLY_METHODS: readonly OutlierMethodName[] = ['edge'];

export interface MethodMaps {
  method: OutlierMethodName;
  /** per-pixel relevance, N × height × width */
  maps: Float32Array;
  /** o(x) per sample */
  outlierness: Float32Array;
  /** ocdtd: the output its variant explains (o(x) itself for plain; o₋, o_κ, the hull distance, …) */
  explained?: Float32Array;
}

export interface RunExplainerOptions {
  /** replace the support vectors by this many k-means prototypes (faster explanations of large runs) */
  compress?: number;
}

export interface SupportCompression {
  /** the class of the model, or null for the run's single model */
  className: string | null;
  supportVectors: number;
  prototypes: number;
  /** largest |o'(x) − o(x)| over the training samples */
  maxOutliernessChange: number;
  /** training samples that change side of the threshold */
  changedDecisions: number;
  trainingSamples: number;
}

export class RunExplainer {
  readonly run: OpenRunWithData;
  /** the run's feature map */
  readonly space: FeatureSpace;
  /** input → o(x) of every model of the run (config.models order) */
  readonly models: readonly DetectorNetwork[];
  /** the SVM each model rewrites (compressed with the `compress` option) */
  private readonly svms: readonly OcsvmLike[];
  /** model index and variant label → the variant's network and its features, built on first use */
  private readonly variants = new Map<
    string,
    { built: VariantNetwork; features: { dispose(): void }; sources: VariantSources }
  >();
  /** one sample as the networks take it: the feature network's input shape, or the data's sample shape */
  readonly inputShape: number[];
  /** z^B bounds of the inputs: [0, 1] for images, the data's own range for vectors (see data-bounds.ts) */
  readonly compositeOptions: CompositeOptions;
  /** with the `compress` option: what replacing the support vectors by prototypes changed, per model */
  readonly compression: SupportCompression[] | null = null;
  /** model index of every sample (-1: a class without a model) */
  private readonly modelIndex: Int32Array;
  private readonly nearest = new Map<number, { finder: NearestInlier; indices: number[] }>();

  private constructor(run: OpenRunWithData, options: RunExplainerOptions) {
    this.run = run;
    this.space = run.space;
    this.inputShape = [...this.space.sampleShape];
    const byClass = new Map(run.config.models.map((m, k) => [m.className, k]));
    this.modelIndex = Int32Array.from(run.scores, (s) => (run.config.perClass ? (byClass.get(s.label) ?? -1) : 0));
    const compression: SupportCompression[] = [];
    this.svms = run.detectors.map((detector, k) => {
      if (options.compress === undefined) return detector.svm;
      const fitted = this.fitIndices(k);
      const training = { data: this.svmFeatures(k, fitted), n: fitted.length };
      const result = compressSupportVectors(detector.svm, {
        prototypes: options.compress,
        seed: run.config.seed,
        training,
      });
      compression.push({
        className: run.config.models[k].className,
        supportVectors: detector.svm.nSupport,
        prototypes: result.model.dualCoef.length,
        maxOutliernessChange: result.maxOutliernessChange!,
        changedDecisions: result.changedDecisions!,
        trainingSamples: fitted.length,
      });
      return result.model;
    });
    this.models = run.detectors.map((detector, k) => detector.network(this.space, this.svms[k]));
    if (options.compress !== undefined) this.compression = compression;
    this.compositeOptions = compositeOptionsForData(run.dataset, this.inputShape);
  }

  static async open(dir: string, options: RunExplainerOptions = {}): Promise<RunExplainer> {
    return new RunExplainer(await openRunWithData(dir), options);
  }

  /** The model that ranks sample i (its class's with --per-class). */
  modelOf(i: number): number {
    const k = this.modelIndex[i];
    if (k < 0) throw new UserError(`sample ${i} of run ${this.run.dir} belongs to no class with a model`);
    return k;
  }

  /** input → o(x) of a run with a single model. */
  get network(): ExplainableNetwork {
    if (this.models.length !== 1)
      throw new Error(`run ${this.run.dir} has ${this.models.length} models: ask models[modelOf(sample)]`);
    return this.models[0].network;
  }

  /** `indices` grouped by the model that ranks them: the model and the positions in `indices`. */
  byModel(indices: readonly number[]): Array<{ model: number; positions: number[] }> {
    const groups = new Map<number, number[]>();
    indices.forEach((i, p) => {
      const k = this.modelOf(i);
      const group = groups.get(k);
      if (group) group.push(p);
      else groups.set(k, [p]);
    });
    return [...groups].map(([model, positions]) => ({ model, positions }));
  }

  /** The samples model k was fitted on: its class, the normal classes, or all — or the --max-train subsample of them. */
  fitIndices(k = 0): number[] {
    const { dataset, config } = this.run;
    return modelFitSamples(dataset, config.models[k].className, config.normal, config.svm.maxTrain ?? null, config.seed)
      .rows;
  }

  /** Features of the chosen samples (every sample by default) as featureNetwork computes them; pixels for pixel features. */
  features(indices: readonly number[] = Array.from({ length: this.run.dataset.n }, (_, i) => i)): Float32Array {
    const network = this.featureNetwork;
    return network ? forwardRows(network, this.inputs(indices)) : this.inputs(indices);
  }

  /** The features model k's SVM sees (scaled) for the chosen samples. */
  private svmFeatures(k: number, indices: readonly number[]): Float32Array {
    const scaler = this.run.detectors[k].standardizer;
    const raw = this.space.extract(this.inputs(indices));
    return scaler ? scaler.transform(raw) : raw;
  }

  /** Pixels of the chosen samples, row-major (read from the data, only these). */
  inputs(indices: readonly number[]): Float32Array {
    return pickSamples(this.run.dataset, indices).x;
  }

  /** The samples model k was fitted on and calls inliers (f(x) > 0), for the nearest-neighbour baseline. */
  private nearestInlier(k: number): { finder: NearestInlier; indices: number[] } {
    let found = this.nearest.get(k);
    if (!found) {
      const { dataset, scores } = this.run;
      const indices = this.fitIndices(k).filter((i) => scores[i].decision > 0);
      if (indices.length === 0)
        throw new UserError(`run ${this.run.dir}: model ${k} calls none of its training samples an inlier`);
      found = { finder: new NearestInlier(this.inputs(indices), sampleSize(dataset)), indices };
      this.nearest.set(k, found);
    }
    return found;
  }

  /** The network of an OC-DTD variant for model k (the model's own network for plain), built once. */
  ocdtdNetwork(variant: OcdtdVariant, k = 0): ExplainableNetwork {
    return variantLabel(variant) === 'plain' ? this.models[k].network : this.variantOf(variant, k).built.network;
  }

  /** A variant of model k: its network and the prototypes it was built from (which a thread pool rebuilds it from). */
  private variantOf(variant: OcdtdVariant, k: number) {
    const label = variantLabel(variant);
    const key = `${k}:${label}`;
    let entry = this.variants.get(key);
    if (!entry) {
      const detector = this.run.detectors[k];
      const features = detector.features(this.space);
      const needsImages = variant.deep !== 'lrp' && features.network !== null;
      if (needsImages && variant.prototypes !== 'inliers' && this.compression) {
        features.dispose();
        throw new UserError(`--ocdtd ${label}: the compressed prototypes have no images; drop --compress`);
      }
      try {
        const sources = this.variantSources(variant, k);
        const built = variantNetwork(this.svms[k], variant, features.network, this.inputShape, sources);
        entry = { built, features, sources };
      } catch (e) {
        features.dispose();
        throw e;
      }
      this.variants.set(key, entry);
    }
    return entry;
  }

  /** The prototypes a variant of model k is built from (training inliers, their images, the support vectors' images). */
  private variantSources(variant: OcdtdVariant, k: number): VariantSources {
    const inliers = this.nearestInlier(k).indices;
    const needsImages = variant.deep !== 'lrp' && this.space.map !== null;
    const fitted = this.fitIndices(k);
    return {
      inliers: variant.prototypes === 'inliers' ? this.svmFeatures(k, inliers) : undefined,
      inlierImages: needsImages ? this.inputs(inliers) : undefined,
      supportImages:
        needsImages && variant.prototypes !== 'inliers'
          ? this.inputs(Array.from(this.run.detectors[k].svm.supportIndices, (j) => fitted[j]))
          : undefined,
    };
  }

  /** Data-set index of the nearest training inlier (in pixel space, of the sample's own model) of each chosen sample. */
  nearestInlierIndices(indices: readonly number[]): number[] {
    const out = new Array<number>(indices.length);
    for (const { model, positions } of this.byModel(indices)) {
      const { finder, indices: inliers } = this.nearestInlier(model);
      const x = this.tensorOf(positions.map((p) => indices[p]));
      const found = finder.nearestIndex(x);
      const rows = Array.from(found.dataSync());
      tf.dispose([x, found]);
      positions.forEach((p, r) => (out[p] = inliers[rows[r]]));
    }
    return out;
  }

  /** Pixels of the nearest training inlier of each chosen sample, row-major (the flipping reference). */
  nearestInlierImages(indices: readonly number[]): Float32Array {
    return this.inputs(this.nearestInlierIndices(indices));
  }

  /**
   * The feature network as a classifier (input → logits): a network trained on the labels (cnn,
   * mlp) or given (model:PATH); null for pixels, several networks, and those trained without
   * labels (an autoencoder has no classes, the transformation network's classes are its own).
   */
  get classifierNetwork(): ExplainableNetwork | null {
    const networks = this.run.config.featureNetworks;
    const kind = networks.length === 1 ? networks[0].kind : null;
    return kind === 'cnn' || kind === 'mlp' || kind === 'model' ? this.space.networks[0] : null;
  }

  /** input → the features as the SVM sees them (scaled when the run has one model), or null for pixel features. */
  get featureNetwork(): ExplainableNetwork | null {
    const map = this.space.map;
    if (!map) return null;
    if (this.models.length !== 1) return map;
    // the single model's network is map → scaling → distance → pooling: drop the SVM's two layers
    const network = this.models[0].network;
    return network.upToLayer(network.layers.length - 3);
  }

  /** One input batch as a tensor [N, ...inputShape]. */
  tensorOf(indices: readonly number[]): tf.Tensor {
    return tf.tensor(this.inputs(indices), [indices.length, ...this.inputShape]);
  }

  /** Whether the samples are images [H, W, C] (image-only methods need them). */
  get imageData(): boolean {
    return isImageSet(this.run.dataset);
  }

  /** `methods` without those this run's data cannot use (image-only methods on vectors), each named to `note`. */
  usableMethods(methods: readonly OutlierMethodName[], note: (line: string) => void): OutlierMethodName[] {
    if (this.imageData) return [...methods];
    const left = methods.filter((m) => IMAGE_ONLY_METHODS.includes(m));
    if (left.length === methods.length)
      throw new UserError(
        `${left.join(', ')} needs images, and the samples of this run are vectors; choose other methods (or read CSV rows as images: csv:FILE,shape=HxW)`,
      );
    if (left.length > 0)
      note(
        `${left.join(', ')} left out: it needs images, and the samples of this run are vectors of ${sampleSize(this.run.dataset)} values (csv:FILE,shape=HxW reads rows as images)`,
      );
    return methods.filter((m) => !IMAGE_ONLY_METHODS.includes(m));
  }

  /** Maps of `n` samples per pixel of the data's images (see perPixelMaps). */
  perPixel(maps: Float32Array, n: number): Float32Array {
    return perPixelMaps(maps, n, this.run.dataset.sampleShape);
  }

  /**
   * OC-DTD of `n` samples of model k on two threads when that pays (run/threads.ts), the composite's
   * options can cross to a worker (numbers: images; vector data's per-feature bounds are tensors)
   * and so can every layer of the feature network; else null. `release` closes the pool and frees
   * what it was built from.
   */
  private async ocdtdPool(
    variant: OcdtdVariant,
    k: number,
    n: number,
    threads: ThreadChoice | undefined,
  ): Promise<{ pool: OcdtdPool; release(): Promise<void> } | null> {
    const { low, high } = this.compositeOptions;
    if (low instanceof tf.Tensor || high instanceof tf.Tensor) return null;
    const perSample = this.space.map ? SECONDS_PER_DEEP_OCDTD_SAMPLE : SECONDS_PER_OCDTD_SAMPLE;
    if (!twoThreadsPay(n * perSample, threads)) return null;
    const features = this.run.detectors[k].features(this.space);
    try {
      const pool = await OcdtdPool.start(this.svms[k], {
        features: features.network,
        inputShape: this.inputShape,
        // every thread builds the network of the variant explained on one thread (ocdtdNetwork)
        variant:
          variantLabel(variant) === 'plain' ? undefined : { variant, sources: this.variantOf(variant, k).sources },
      });
      return {
        pool,
        async release() {
          await pool.close();
          features.dispose();
        },
      };
    } catch (e) {
      features.dispose();
      // a feature layer only this thread can run (the autoencoder's residual, a standardisation): one thread
      if (e instanceof UnsendableLayerError) return null;
      throw e;
    }
  }

  async explain(
    indices: readonly number[],
    methods: readonly OutlierMethodName[],
    options: ExplainOptions = {},
  ): Promise<MethodMaps[]> {
    const unusable = methods.filter((m) => !this.imageData && IMAGE_ONLY_METHODS.includes(m));
    if (unusable.length > 0)
      throw new UserError(`${unusable.join(', ')} needs images; the samples of run ${this.run.dir} are vectors`);
    const [height, width] = mapShape(this.run.dataset.sampleShape);
    const size = height * width;
    const batchSize = options.batchSize ?? 256;
    const variant = options.ocdtd ?? parseOcdtdVariant(DEFAULT_OCDTD_VARIANT);
    const results: MethodMaps[] = methods.map((method) => ({
      method,
      maps: new Float32Array(indices.length * size),
      outlierness: new Float32Array(indices.length),
      ...(method === 'ocdtd' ? { explained: new Float32Array(indices.length) } : {}),
    }));
    let done = 0;
    for (const { model, positions } of this.byModel(indices)) {
      const network = this.models[model].network;
      const ocdtd = methods.includes('ocdtd') ? this.ocdtdNetwork(variant, model) : undefined;
      const ctx = {
        network,
        ocdtd,
        composite: options.composite,
        compositeOptions: this.compositeOptions,
        gradient: options.gradient,
        nearestInlier: methods.includes('nn') ? this.nearestInlier(model).finder : undefined,
      };
      const pooled = ocdtd ? await this.ocdtdPool(variant, model, positions.length, options.threads) : null;
      const poolOptions = pooled ? (this.compositeOptions as PlainCompositeOptions) : {};
      try {
        for (let start = 0; start < positions.length; start += batchSize) {
          const batch = positions.slice(start, start + batchSize);
          const x = this.tensorOf(batch.map((p) => indices[p]));
          try {
            // o(x) once per batch: every method explains the same outputs
            const o = network.forward(x);
            const outlierness = o.dataSync();
            o.dispose();
            for (const result of results) {
              // image-only methods see the image, whatever shape the network takes it in
              const input = IMAGE_ONLY_METHODS.includes(result.method)
                ? tf.reshape(x, [batch.length, ...this.run.dataset.sampleShape])
                : x;
              const relevance =
                pooled && result.method === 'ocdtd'
                  ? perPixelRelevance(
                      (
                        await pooled.pool.explain(input, {
                          composite: options.composite,
                          compositeOptions: poolOptions,
                        })
                      ).relevance,
                    )
                  : outlierRelevance(result.method, ctx, input);
              if (input !== x) input.dispose();
              const maps = this.perPixel(relevance.dataSync() as Float32Array, batch.length);
              relevance.dispose();
              const out = result.explained && ocdtd !== network ? ocdtd!.forward(x) : null;
              const explained = out ? out.dataSync() : outlierness;
              out?.dispose();
              batch.forEach((p, r) => {
                result.maps.set(maps.subarray(r * size, (r + 1) * size), p * size);
                result.outlierness[p] = outlierness[r];
                if (result.explained) result.explained[p] = explained[r];
              });
              done += batch.length;
              options.onProgress?.(done);
            }
          } finally {
            x.dispose();
          }
        }
      } finally {
        await pooled?.release();
      }
    }
    return results;
  }

  dispose(): void {
    disposeBounds(this.compositeOptions);
    for (const { built, features } of this.variants.values()) {
      built.dispose();
      features.dispose();
    }
    for (const { finder } of this.nearest.values()) finder.dispose();
    for (const model of this.models) model.dispose();
    this.space.dispose();
    for (const model of this.run.featureModels) model.dispose();
  }
}
