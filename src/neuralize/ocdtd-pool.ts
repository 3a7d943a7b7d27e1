/**
 * OC-DTD on several cores: a worker pool (explain/worker-pool.ts), each worker with its own
 * neuralized network (rebuilt from the SVM's numbers and the feature network's spec), explains
 * slices of the batch while the main thread explains the first slice itself. Composites cross the
 * thread boundary by name (numeric options only).
 */
import { tf } from '../runtime/runtime.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import type { PlainCompositeOptions } from '../explain/lrp-pool.ts';
import { networkToSpec, type NetworkSpec } from '../explain/network-spec.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import { neuralize, type NeuralizedOcsvm, type PoolingKind } from './neuralize.ts';
import { ocdtd, type OcdtdResult } from './ocdtd.ts';
import type { OcsvmLike } from './ocsvm-like.ts';

/** The SVM as plain numbers (structured-clonable). */
export interface PlainOcsvm extends OcsvmLike {
  readonly dualCoef: Float64Array;
}

export interface OcdtdWorkerInit {
  model: PlainOcsvm;
  pooling: PoolingKind;
  inputShape: number[];
  features: NetworkSpec | null;
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

export class OcdtdPool {
  private constructor(
    /** the main thread's own neuralized SVM and network (disposed by close) */
    readonly neuralized: NeuralizedOcsvm,
    readonly network: ExplainableNetwork,
    private readonly pool: WorkerPool<OcdtdWorkerInit, OcdtdJob, OcdtdJobResult>,
  ) {}

  static async start(model: OcsvmLike, options: OcdtdPoolOptions): Promise<OcdtdPool> {
    const count = workerCount(options.workers, 'OC-DTD pool');
    const pooling = options.pooling ?? 'soft';
    const neuralized = neuralize(model, { pooling });
    const network = neuralized.network(options.features ?? null, options.inputShape);
    const init: OcdtdWorkerInit = {
      model: plain(model),
      pooling,
      inputShape: [...options.inputShape],
      features: options.features ? networkToSpec(options.features) : null,
    };
    try {
      return new OcdtdPool(neuralized, network, await WorkerPool.start(WORKER_SCRIPT, count, init));
    } catch (e) {
      neuralized.dispose();
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

  /** Stops the workers and frees the main thread's neuralized layers (not the feature network). */
  async close(): Promise<void> {
    await this.pool.close();
    this.neuralized.dispose();
  }
}
