/**
 * OC-DTD on several cores: the wasm backend runs one thread per Node thread, so worker threads,
 * each with their own neuralized network (rebuilt from the SVM's numbers and the feature network's
 * spec), explain slices of the batch while the main thread explains the first slice itself.
 * Composites cross the thread boundary by name (numeric options only).
 */
import { Worker } from 'node:worker_threads';
import { tf, activeBackend } from '../features/runtime.ts';
import { UserError } from '../errors.ts';
import type { ExplainableNetwork, Tensor } from '../explain/network.ts';
import type { PlainCompositeOptions } from '../explain/lrp-pool.ts';
import { networkToSpec, type NetworkSpec } from '../explain/network-spec.ts';
import { neuralize, type NeuralizedOcsvm, type PoolingKind } from './neuralize.ts';
import { ocdtd, type OcdtdResult } from './ocdtd.ts';
import type { OcsvmLike } from './ocsvm-like.ts';

/** The SVM as plain numbers (structured-clonable). */
export interface PlainOcsvm {
  kernel: string;
  gamma: number;
  rho: number;
  nu: number;
  nTrain: number;
  dualCoef: Float64Array;
  supportVectors: Float32Array;
}

export type OcdtdWorkerRequest =
  | {
      type: 'init';
      backend: string | undefined;
      model: PlainOcsvm;
      pooling: PoolingKind;
      inputShape: number[];
      features: NetworkSpec | null;
    }
  | { type: 'explain'; id: number; x: Float32Array; shape: number[]; composite: string; options: PlainCompositeOptions };

export type OcdtdWorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; relevance: Float32Array; outlierness: Float32Array }
  | { type: 'error'; id: number; message: string; userError: boolean };

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

function spawnWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = new URL('./ocdtd-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true });
}

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
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: OcdtdWorkerReply & { type: 'result' }) => void; reject: (e: Error) => void }>();

  private constructor(
    /** the main thread's own neuralized SVM and network (disposed by close) */
    readonly neuralized: NeuralizedOcsvm,
    readonly network: ExplainableNetwork,
    private readonly workers: Worker[],
  ) {
    for (const worker of workers) {
      worker.on('message', (reply: OcdtdWorkerReply) => {
        if (reply.type === 'ready') return;
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        if (reply.type === 'result') waiting.resolve(reply);
        else waiting.reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
      });
      worker.on('error', (e) => {
        for (const waiting of this.pending.values()) waiting.reject(e);
        this.pending.clear();
      });
    }
  }

  static async start(model: OcsvmLike, options: OcdtdPoolOptions): Promise<OcdtdPool> {
    const count = options.workers ?? 1;
    if (!(Number.isInteger(count) && count >= 0)) throw new UserError(`OC-DTD pool: workers must be an integer ≥ 0, got ${count}`);
    const pooling = options.pooling ?? 'soft';
    const neuralized = neuralize(model, { pooling });
    const network = neuralized.network(options.features ?? null, options.inputShape);
    const init: OcdtdWorkerRequest = {
      type: 'init',
      backend: activeBackend() ?? undefined,
      model: plain(model),
      pooling,
      inputShape: [...options.inputShape],
      features: options.features ? networkToSpec(options.features) : null,
    };
    const workers = Array.from({ length: count }, spawnWorker);
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (reply: OcdtdWorkerReply) => {
                if (reply.type === 'ready') resolve();
                else if (reply.type === 'error') reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
                else return;
                worker.off('message', onMessage);
              };
              worker.on('message', onMessage);
              worker.once('error', reject);
              worker.postMessage(init);
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      neuralized.dispose();
      throw e;
    }
    return new OcdtdPool(neuralized, network, workers);
  }

  /** The same result as ocdtd(network, x, …), the batch split between the main thread and the workers. */
  async explain(x: Tensor, options: PoolExplainOcdtdOptions = {}): Promise<OcdtdResult> {
    const n = x.shape[0];
    const composite = options.composite ?? 'deep-taylor';
    const parts = Math.max(1, Math.min(this.workers.length + 1, n));
    const bounds = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * n) / parts));
    const sampleSize = x.size / Math.max(n, 1);
    const flat = x.dataSync() as Float32Array;
    // post the workers' slices first, then explain the first slice here while they run
    const remote = bounds.slice(1, -1).map((from, k) => {
      const to = bounds[k + 2];
      const id = this.nextId++;
      const slice = flat.slice(from * sampleSize, to * sampleSize);
      const request: OcdtdWorkerRequest = { type: 'explain', id, x: slice, shape: [to - from, ...x.shape.slice(1)], composite, options: options.compositeOptions ?? {} };
      return new Promise<OcdtdWorkerReply & { type: 'result' }>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.workers[k].postMessage(request, [slice.buffer]);
      });
    });
    const head = tf.slice(x, 0, bounds[1]);
    let local: OcdtdResult;
    try {
      local = ocdtd(this.network, head, { composite, compositeOptions: options.compositeOptions });
    } catch (e) {
      await Promise.allSettled(remote); // let the workers finish, so that no reply goes unhandled
      throw e;
    } finally {
      head.dispose();
    }
    let replies: Array<OcdtdWorkerReply & { type: 'result' }>;
    try {
      replies = await Promise.all(remote);
    } catch (e) {
      local.relevance.dispose();
      throw e;
    }
    const relevance = tf.tidy(() =>
      tf.concat([local.relevance, ...replies.map((r) => tf.tensor(r.relevance, [r.relevance.length / sampleSize, ...x.shape.slice(1)]))]),
    );
    local.relevance.dispose();
    const outlierness = new Float32Array(n);
    [local.outlierness, ...replies.map((r) => r.outlierness)].reduce((at, part) => (outlierness.set(part, at), at + part.length), 0);
    return { relevance, outlierness };
  }

  /** Stops the workers and frees the main thread's neuralized layers (not the feature network). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.neuralized.dispose();
  }
}
