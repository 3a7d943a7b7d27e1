/**
 * Everything needed to ask "why is this sample an outlier?" of a run: the network from the input to
 * the outlierness o(x) (feature network + neuralized SVM), the training inliers for the
 * nearest-neighbour baseline, and one call that explains chosen samples with chosen methods.
 */
import { tf } from '../runtime/runtime.ts';
import { isImageSet, mapShape, perPixelMaps, sampleSize } from '../data/dataset.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import type { CompositeOptions } from '../explain/composites.ts';
import { compositeOptionsForData, disposeBounds } from '../explain/data-bounds.ts';
import type { GradientOptions } from '../explain/gradient-methods.ts';
import { neuralize, type NeuralizedOcsvm } from '../neuralize/neuralize.ts';
import type { OcsvmLike } from '../neuralize/ocsvm-like.ts';
import { compressSupportVectors } from '../neuralize/support-compression.ts';
import { NearestInlier } from '../neuralize/nearest-inlier.ts';
import {
  DEFAULT_OCDTD_VARIANT,
  parseOcdtdVariant,
  variantLabel,
  type OcdtdVariant,
} from '../neuralize/ocdtd-variant-names.ts';
import { variantNetwork, type VariantNetwork, type VariantSources } from '../neuralize/ocdtd-variants.ts';
import { outlierRelevance, perPixelRelevance, type OutlierMethodName } from '../neuralize/outlier-methods.ts';
import { OcdtdPool } from '../neuralize/ocdtd-pool.ts';
import type { PlainCompositeOptions } from '../explain/lrp-pool.ts';
import { UserError } from '../errors.ts';
import { pickSamples } from '../data/sample-source.ts';
import { fitSampleIndices } from './fit-sample.ts';
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
  readonly neuralized: NeuralizedOcsvm;
  /** input → o(x) */
  readonly network: ExplainableNetwork;
  /** the whole classifier read from the feature model (owns the layer weights), or null for pixels */
  private readonly classifier: ExplainableNetwork | null;
  private nearest: NearestInlier | null = null;
  /** the (possibly compressed) SVM that `neuralized` rewrites */
  private readonly model: OcsvmLike;
  /** variant label → its network, built on first use */
  private readonly variants = new Map<string, VariantNetwork>();
  /** one sample as the networks take it: the feature network's input shape, or the data's sample shape */
  readonly inputShape: number[];
  /** data-set index of every row of `nearest` */
  private inlierIndices: number[] = [];

  /** with the `compress` option: what replacing the support vectors by prototypes changed */
  readonly compression: SupportCompression | null = null;

  private constructor(run: OpenRunWithData, options: RunExplainerOptions) {
    this.run = run;
    const features = run.featureModel;
    this.classifier = features instanceof ExplainableNetwork ? features : features ? fromLayersModel(features) : null;
    let model: OcsvmLike = run.svm;
    if (options.compress !== undefined) {
      const fitted = this.fitIndices();
      const training = { data: this.features(fitted), n: fitted.length };
      const result = compressSupportVectors(run.svm, { prototypes: options.compress, seed: run.config.seed, training });
      model = result.model;
      this.compression = {
        supportVectors: run.svm.nSupport,
        prototypes: result.model.dualCoef.length,
        maxOutliernessChange: result.maxOutliernessChange!,
        changedDecisions: result.changedDecisions!,
        trainingSamples: fitted.length,
      };
    }
    this.model = model;
    this.neuralized = neuralize(model);
    this.inputShape = this.classifier ? [...this.classifier.inputShape] : [...run.dataset.sampleShape];
    this.network = this.neuralized.network(this.featureNetwork, this.inputShape);
    this.compositeOptions = compositeOptionsForData(run.dataset, this.inputShape);
  }

  static async open(dir: string, options: RunExplainerOptions = {}): Promise<RunExplainer> {
    return new RunExplainer(await openRunWithData(dir), options);
  }

  /** The samples the SVM was fitted on: the normal classes, or all, or the --max-train subsample of them. */
  fitIndices(): number[] {
    const { dataset, config } = this.run;
    const normal = config.normal ? new Set(config.normal.map((name) => dataset.classNames.indexOf(name))) : null;
    return fitSampleIndices(dataset.labels, dataset.n, normal, config.svm.maxTrain ?? null, config.seed);
  }

  /** Features φ(x) of the chosen samples (every sample by default), rows of the SVM's dimension. */
  features(indices: readonly number[] = Array.from({ length: this.run.dataset.n }, (_, i) => i)): Float32Array {
    const network = this.featureNetwork;
    if (!network) return this.inputs(indices);
    const dim = this.run.config.featureDim;
    const data = new Float32Array(indices.length * dim);
    for (let start = 0; start < indices.length; start += 256) {
      const batch = indices.slice(start, start + 256);
      data.set(
        tf.tidy(() => network.forward(this.tensorOf(batch)).dataSync()),
        start * dim,
      );
    }
    return data;
  }

  /** z^B bounds of the inputs: [0, 1] for images, the data's own range for vectors (see data-bounds.ts) */
  readonly compositeOptions: CompositeOptions;

  /** Pixels of the chosen samples, row-major (read from the data, only these). */
  inputs(indices: readonly number[]): Float32Array {
    return pickSamples(this.run.dataset, indices).x;
  }

  /** The samples the SVM was fitted on and calls inliers (f(x) > 0), for the nearest-neighbour baseline. */
  private nearestInlier(): NearestInlier {
    if (!this.nearest) {
      const { dataset, scores } = this.run;
      this.inlierIndices = this.fitIndices().filter((i) => scores[i].decision > 0);
      this.nearest = new NearestInlier(this.inputs(this.inlierIndices), sampleSize(dataset));
    }
    return this.nearest;
  }

  /** The network of an OC-DTD variant (the exact one for plain), built once. */
  ocdtdNetwork(variant: OcdtdVariant): ExplainableNetwork {
    const label = variantLabel(variant);
    if (label === 'plain') return this.network;
    let built = this.variants.get(label);
    if (!built) {
      const needsImages = variant.deep !== 'lrp' && this.featureNetwork !== null;
      if (needsImages && variant.prototypes !== 'inliers' && this.compression) {
        throw new UserError(`--ocdtd ${label}: the compressed prototypes have no images; drop --compress`);
      }
      built = variantNetwork(this.model, variant, this.featureNetwork, this.inputShape, this.variantSources(variant));
      this.variants.set(label, built);
    }
    return built.network;
  }

  /** The prototypes a variant's network is built from (training inliers, their images, the support vectors' images). */
  private variantSources(variant: OcdtdVariant): VariantSources {
    this.nearestInlier(); // finds the training inliers
    const needsImages = variant.deep !== 'lrp' && this.featureNetwork !== null;
    const fitted = this.fitIndices();
    return {
      inliers: variant.prototypes === 'inliers' ? this.features(this.inlierIndices) : undefined,
      inlierImages: needsImages ? this.inputs(this.inlierIndices) : undefined,
      supportImages:
        needsImages && variant.prototypes !== 'inliers'
          ? this.inputs(Array.from(this.run.svm.supportIndices, (j) => fitted[j]))
          : undefined,
    };
  }

  /** Data-set index of the nearest training inlier (in pixel space) of each chosen sample. */
  nearestInlierIndices(indices: readonly number[]): number[] {
    const nearest = this.nearestInlier();
    const x = this.tensorOf(indices);
    const found = nearest.nearestIndex(x);
    const rows = Array.from(found.dataSync());
    tf.dispose([x, found]);
    return rows.map((r) => this.inlierIndices[r]);
  }

  /** Pixels of the nearest training inlier of each chosen sample, row-major (the flipping reference). */
  nearestInlierImages(indices: readonly number[]): Float32Array {
    return this.inputs(this.nearestInlierIndices(indices));
  }

  /** The feature network's classifier (input → logits), or null for pixel features. */
  get classifierNetwork(): ExplainableNetwork | null {
    return this.classifier;
  }

  /** The feature network (input → the run's features), or null for pixel features. */
  get featureNetwork(): ExplainableNetwork | null {
    return this.classifier?.upTo(this.run.config.featureLayer!) ?? null;
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
   * OC-DTD of `n` samples on two threads when that pays (run/threads.ts) and the composite's options
   * can cross to a worker (numbers: images; vector data's per-feature bounds are tensors); else null.
   */
  private async ocdtdPool(
    variant: OcdtdVariant,
    n: number,
    threads: ThreadChoice | undefined,
  ): Promise<OcdtdPool | null> {
    const { low, high } = this.compositeOptions;
    if (low instanceof tf.Tensor || high instanceof tf.Tensor) return null;
    const perSample = this.featureNetwork ? SECONDS_PER_DEEP_OCDTD_SAMPLE : SECONDS_PER_OCDTD_SAMPLE;
    if (!twoThreadsPay(n * perSample, threads)) return null;
    return OcdtdPool.start(this.model, {
      features: this.featureNetwork,
      inputShape: this.inputShape,
      // every thread builds the network of the variant explained on one thread (ocdtdNetwork)
      variant: variantLabel(variant) === 'plain' ? undefined : { variant, sources: this.variantSources(variant) },
    });
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
    const batchSize = options.batchSize ?? 256;
    const variant = options.ocdtd ?? parseOcdtdVariant(DEFAULT_OCDTD_VARIANT);
    const ocdtd = methods.includes('ocdtd') ? this.ocdtdNetwork(variant) : undefined;
    const results: MethodMaps[] = methods.map((method) => ({
      method,
      maps: new Float32Array(indices.length * height * width),
      outlierness: new Float32Array(indices.length),
      ...(method === 'ocdtd' ? { explained: new Float32Array(indices.length) } : {}),
    }));
    const ctx = {
      network: this.network,
      ocdtd,
      composite: options.composite,
      compositeOptions: this.compositeOptions,
      gradient: options.gradient,
      nearestInlier: methods.includes('nn') ? this.nearestInlier() : undefined,
    };
    const pool = methods.includes('ocdtd') ? await this.ocdtdPool(variant, indices.length, options.threads) : null;
    const poolOptions = pool ? (this.compositeOptions as PlainCompositeOptions) : {};
    let done = 0;
    try {
      for (let start = 0; start < indices.length; start += batchSize) {
        const batch = indices.slice(start, start + batchSize);
        const x = this.tensorOf(batch);
        try {
          // o(x) once per batch: every method explains the same outputs
          const o = this.network.forward(x);
          const outlierness = o.dataSync();
          o.dispose();
          for (const result of results) {
            // image-only methods see the image, whatever shape the network takes it in
            const input = IMAGE_ONLY_METHODS.includes(result.method)
              ? tf.reshape(x, [batch.length, ...this.run.dataset.sampleShape])
              : x;
            const relevance =
              pool && result.method === 'ocdtd'
                ? perPixelRelevance(
                    (await pool.explain(input, { composite: options.composite, compositeOptions: poolOptions }))
                      .relevance,
                  )
                : outlierRelevance(result.method, ctx, input);
            if (input !== x) input.dispose();
            result.maps.set(this.perPixel(relevance.dataSync() as Float32Array, batch.length), start * height * width);
            result.outlierness.set(outlierness, start);
            relevance.dispose();
            if (result.explained) {
              const out = ocdtd === this.network ? null : ocdtd!.forward(x);
              result.explained.set(out ? out.dataSync() : outlierness, start);
              out?.dispose();
            }
            done += batch.length;
            options.onProgress?.(done);
          }
        } finally {
          x.dispose();
        }
      }
    } finally {
      await pool?.close();
    }
    return results;
  }

  dispose(): void {
    disposeBounds(this.compositeOptions);
    this.variants.forEach((v) => v.dispose());
    this.nearest?.dispose();
    this.neuralized.dispose();
    this.classifier?.dispose();
    if (!(this.run.featureModel instanceof ExplainableNetwork)) this.run.featureModel?.dispose();
  }
}
