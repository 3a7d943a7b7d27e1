/**
 * One outlier detector of a run: the one-class SVM and, when the feature space asks for it, the
 * per-feature standardisation fitted on the same rows. A run has one detector, or one per class
 * (--per-class). Saved as ocsvm.json (+ standardization.json) in its folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { Standardizer, type FeatureBlock, type StandardizerState } from '../features/standardizer.ts';
import { OneClassSVM, type GammaOption, type Matrix } from '../ocsvm/index.ts';
import { ParallelScorer } from '../ocsvm/parallel-scorer.ts';
import { SECONDS_PER_KERNEL_PRODUCT, twoThreadsPay, type ThreadChoice } from './threads.ts';
import { StandardizeLayer } from '../explain/layers/standardize.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { neuralize, type NeuralizedOcsvm } from '../neuralize/neuralize.ts';
import type { OcsvmLike } from '../neuralize/ocsvm-like.ts';
import type { FeatureSpace } from './feature-space.ts';

export const OCSVM_FILE = 'ocsvm.json';
export const STANDARDIZATION_FILE = 'standardization.json';

export interface SvmSettings {
  kernel: string;
  nu: number;
  gamma: GammaOption;
}

/** The input → o(x) network of one detector, and what must be freed with it. */
export interface DetectorNetwork {
  network: ExplainableNetwork;
  neuralized: NeuralizedOcsvm;
  dispose(): void;
}

export class Detector {
  constructor(
    readonly svm: OneClassSVM,
    readonly standardizer: Standardizer | null,
  ) {}

  /**
   * Fit on n × d feature rows, scaled first by blocks (see Standardizer) unless `blocks` is null;
   * `fitSvm` fits the SVM (default: on this thread; train passes a two-thread fit where it pays).
   */
  static async fit(
    features: Float32Array,
    d: number,
    blocks: readonly FeatureBlock[] | null,
    settings: SvmSettings,
    fitSvm: (svm: OneClassSVM, rows: Matrix) => void | Promise<void> = (svm, rows) => void svm.fit(rows),
  ): Promise<Detector> {
    const standardizer = blocks ? new Standardizer().fit(features, d, blocks) : null;
    const data = standardizer ? standardizer.transform(features) : features;
    const svm = new OneClassSVM({ kernel: settings.kernel, nu: settings.nu, gamma: settings.gamma });
    await fitSvm(svm, { data, n: features.length / d, d });
    return new Detector(svm, standardizer);
  }

  /** A two-thread scorer of this SVM for `n` rows when that pays for the worker (run/threads.ts), else null; the caller closes it. */
  async scorerFor(n: number, threads: ThreadChoice | undefined): Promise<ParallelScorer | null> {
    const { svm } = this;
    return twoThreadsPay(n * svm.nSupport * svm.d * SECONDS_PER_KERNEL_PRODUCT, threads)
      ? ParallelScorer.start(svm)
      : null;
  }

  /** Decision values f(x) of n × d feature rows (> 0 inside, < 0 outliers); `pool` scores on two threads. */
  async decision(features: Float32Array, d: number, pool: ParallelScorer | null = null): Promise<Float64Array> {
    const data = this.standardizer ? this.standardizer.transform(features) : features;
    const rows = { data, n: features.length / d, d };
    return pool ? pool.decisionFunction(rows) : this.svm.decisionFunction(rows);
  }

  /**
   * input → the features this detector's SVM sees: the space's feature map and the standardisation
   * (null for pixels). Shares the space's weights; `dispose` frees the standardisation only.
   */
  features(space: FeatureSpace): { network: ExplainableNetwork | null; dispose(): void } {
    const standardize = this.standardizer
      ? new StandardizeLayer('standardize', this.standardizer.mean, this.standardizer.scale)
      : null;
    const network = space.map && standardize ? space.map.extend(standardize) : space.map;
    return { network, dispose: () => standardize?.dispose() };
  }

  /**
   * One network from input to o(x): the space's feature map, the standardisation, the SVM's two
   * layers; `model` replaces the SVM (support-vector compression). Shares the space's weights.
   */
  network(space: FeatureSpace, model: OcsvmLike = this.svm): DetectorNetwork {
    const neuralized = neuralize(model);
    const features = this.features(space);
    return {
      network: neuralized.network(features.network, space.sampleShape),
      neuralized,
      dispose: () => {
        features.dispose();
        neuralized.dispose();
      },
    };
  }

  async save(dir: string): Promise<void> {
    this.svm.save(join(dir, OCSVM_FILE));
    if (this.standardizer)
      await writeFile(join(dir, STANDARDIZATION_FILE), JSON.stringify(this.standardizer.toJSON()) + '\n');
  }

  static load(dir: string): Detector {
    const svm = OneClassSVM.load(join(dir, OCSVM_FILE));
    const path = join(dir, STANDARDIZATION_FILE);
    if (!existsSync(path)) return new Detector(svm, null);
    let state: StandardizerState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as StandardizerState;
    } catch (e) {
      throw new UserError(`${path} is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(state?.mean) || !Array.isArray(state?.scale) || state.mean.length !== state.scale.length)
      throw new UserError(`${path}: expected { mean: [...], scale: [...] } of equal length`);
    return new Detector(svm, Standardizer.fromJSON(state));
  }
}
