/**
 * OC-DTD on several cores: a worker pool (explain/worker-pool.ts), each worker with its own
 * neuralized network — the SVM's, or an OC-DTD variant's (ocdtd-variants.ts), rebuilt from the
 * SVM's numbers, the variant's prototypes and the feature network's spec by the same function as
 * on the main thread — explains slices of the batch while the main thread explains the first slice
 * itself. Composites cross the thread boundary by name (numeric options only).
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import type { PlainCompositeOptions } from '../explain/lrp-pool.ts';
import { networkToSpec, type NetworkSpec } from '../explain/network-spec.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { neuralize, type NeuralizedOcsvm, type PoolingKind } from './neuralize.ts';
import { ocdtd, type OcdtdResult } from './ocdtd.ts';
import type { OcsvmLike } from './ocsvm-like.ts';
import type { OcdtdVariant } from './ocdtd-variant-names.ts';
import { variantNetwork, type VariantSources } from './ocdtd-variants.ts';

/** The SVM as plain numbers (structured-clonable). */
export interface PlainOcsvm extends OcsvmLike {
  readonly dualCoef: Float64Array;
}

export interface OcdtdWorkerInit {
  model: PlainOcsvm;
  pooling: PoolingKind;
  inputShape: number[];
  features: NetworkSpec | null;
  variant: PoolVariant | null;
}

/** An OC-DTD variant with the prototypes its network is built from (typed arrays: structured-clonable). */
export interface PoolVariant {
  variant: OcdtdVariant;
  sources: VariantSources;
}

export interface OcdtdJob {
  x: Float32Array;
  shape: number[];
  composite: string;
  options: PlainCompositeOptions;
}

export interface OcdtdJobResult {
  relevance: Float32Array;
  outlierness: Float32Array;
}

export interface OcdtdPoolOptions {
  /** worker threads besides the main thread (default 1: two cores in all) */
  workers?: number;
  pooling?: PoolingKind;
  /** the feature network below the SVM (engine-built layers only), or none for pixel features */
  features?: ExplainableNetwork | null;
  /** shape of one input sample */
  inputShape: readonly number[];
  /** explain this OC-DTD variant's output instead of the SVM's o(x) (`pooling` then has no effect) */
  variant?: PoolVariant;
}

export interface PoolExplainOcdtdOptions {
  /** composite by name (default 'deep-taylor') */
  composite?: string;
  compositeOptions?: PlainCompositeOptions;
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'ocdtd-worker');

const plain = (model: OcsvmLike): PlainOcsvm => ({
  kernel: model.kernel,
  gamma: model.gamma,
  rho: model.rho,
  nu: model.nu,
  nTrain: model.nTrain,
  dualCoef: Float64Array.from(model.dualCoef),
  supportVectors: Float32Array.from(model.supportVectors),
});

/** A thread's network from input to the explained output, and what frees its own layers (not the feature network's). */
export interface ExplainedNetwork {
  network: ExplainableNetwork;
  dispose(): void;
}

/** The network one thread explains: the neuralized SVM, or the variant's network. */
export function explainedNetwork(
  model: OcsvmLike,
  features: ExplainableNetwork | null,
  inputShape: readonly number[],
  pooling: PoolingKind,
  variant: PoolVariant | null,
): ExplainedNetwork {
  if (variant) return variantNetwork(model, variant.variant, features, inputShape, variant.sources);
  const neuralized: NeuralizedOcsvm = neuralize(model, { pooling });
  return { network: neuralized.network(features, inputShape), dispose: () => neuralized.dispose() };
}

export class OcdtdPool {
  private constructor(
    /** the main thread's own network (its layers disposed by close) */
    private readonly own: ExplainedNetwork,
    private readonly pool: WorkerPool<OcdtdWorkerInit, OcdtdJob, OcdtdJobResult>,
  ) {}

  /** the network the main thread explains its slice with */
  get network(): ExplainableNetwork {
    return this.own.network;
  }

  static async start(model: OcsvmLike, options: OcdtdPoolOptions): Promise<OcdtdPool> {
    const count = workerCount(options.workers, 'OC-DTD pool');
    const pooling = options.pooling ?? 'soft';
    const variant = options.variant ?? null;
    // the spec first: a network with a layer only this thread can run throws before anything is built
    const init: OcdtdWorkerInit = {
      model: plain(model),
      pooling,
      inputShape: [...options.inputShape],
      features: options.features ? networkToSpec(options.features) : null,
      variant,
    };
    const own = explainedNetwork(model, options.features ?? null, options.inputShape, pooling, variant);
    try {
      return new OcdtdPool(own, await WorkerPool.start(WORKER_SCRIPT, count, init));
    } catch (e) {
      own.dispose();
      throw e;
    }
  }

  /** The same result as ocdtd(network, x, …), the batch split between the main thread and the workers. */
  async explain(x: Tensor, options: PoolExplainOcdtdOptions = {}): Promise<OcdtdResult> {
    const n = x.shape[0];
    const composite = options.composite ?? 'deep-taylor';
    const { local, remote } = await this.pool.split(
      x,
      (values, shape) => ({ x: values, shape, composite, options: options.compositeOptions ?? {} }),
      (head) => ocdtd(this.network, head, { composite, compositeOptions: options.compositeOptions }),
      (result) => result.relevance.dispose(),
    );
    const sampleShape = x.shape.slice(1);
    const relevance = tf.tidy(() =>
      tf.concat([
        local.relevance,
        ...remote.map((r) => tf.tensor(r.relevance, [r.outlierness.length, ...sampleShape])),
      ]),
    );
    local.relevance.dispose();
    const outlierness = new Float32Array(n);
    [local.outlierness, ...remote.map((r) => r.outlierness)].reduce(
      (at, part) => (outlierness.set(part, at), at + part.length),
      0,
    );
    return { relevance, outlierness };
  }

  /** Stops the workers and frees the main thread's own layers (not the feature network). */
  async close(): Promise<void> {
    await this.pool.close();
    this.own.dispose();
  }
}
