/**
 * LRP on several cores: the wasm backend runs one thread per Node thread, so a pool of worker
 * threads (each with its own copy of the network) explains slices of the batch while the main
 * thread explains the first slice itself. Only networks built by this engine (fromLayersModel)
 * and composites named as strings (numeric options only) can be sent to workers.
 */
import { Worker } from 'node:worker_threads';
import { tf } from '../features/runtime.ts';
import { activeBackend } from '../features/runtime.ts';
import { UserError } from '../errors.ts';
import { parseComposite } from './composites.ts';
import { explainLRP, type LRPResult } from './lrp.ts';
import { networkToSpec, type NetworkSpec } from './network-spec.ts';
import type { ExplainableNetwork } from './network.ts';

/** Composite options that can cross a thread boundary. */
export interface PlainCompositeOptions {
  epsilon?: number;
  gamma?: number;
  low?: number;
  high?: number;
  unbounded?: boolean;
}

export type WorkerRequest =
  | { type: 'init'; backend: string | undefined; network: NetworkSpec }
  | {
      type: 'explain';
      id: number;
      x: Float32Array;
      shape: number[];
      method: string;
      options: PlainCompositeOptions;
      target: Int32Array | 'predicted';
    };

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; relevance: Float32Array; output: Float32Array; outputShape: number[]; target: Int32Array }
  | { type: 'error'; id: number; message: string; userError: boolean };

export interface PoolExplainOptions {
  /** an LRP method name as parseComposite reads it, e.g. 'lrp:epsilon-plus-flat' */
  method: string;
  options?: PlainCompositeOptions;
  target: number | readonly number[] | 'predicted';
}

/** Start a worker that runs lrp-worker.ts through tsx (the project runs TypeScript without a build). */
function spawnWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const script = new URL('./lrp-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true });
}

export class LRPPool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: WorkerReply & { type: 'result' }) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly network: ExplainableNetwork,
    private readonly workers: Worker[],
  ) {
    for (const worker of workers) {
      worker.on('message', (reply: WorkerReply) => {
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

  /**
   * A pool of `workers` threads (default 1: with the main thread, two cores), each holding a copy of
   * `network`; the main thread keeps using `network` itself (the caller still owns it).
   */
  static async start(network: ExplainableNetwork, options: { workers?: number } = {}): Promise<LRPPool> {
    const count = options.workers ?? 1;
    const spec = networkToSpec(network);
    const workers = Array.from({ length: count }, spawnWorker);
    const backend = activeBackend() ?? undefined;
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (reply: WorkerReply) => {
                if (reply.type === 'ready') resolve();
                else if (reply.type === 'error') reject(new Error(reply.message));
                else return;
                worker.off('message', onMessage);
              };
              worker.on('message', onMessage);
              worker.once('error', reject);
              worker.postMessage({ type: 'init', backend, network: spec } satisfies WorkerRequest);
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new LRPPool(network, workers);
  }

  /** Same result as explainLRP(network, x, …), the batch split between the main thread and the workers. */
  async explain(x: tf.Tensor, options: PoolExplainOptions): Promise<LRPResult> {
    const n = x.shape[0];
    const composite = parseComposite(options.method, options.options);
    const targets = options.target === 'predicted' ? null : typeof options.target === 'number' ? new Array<number>(n).fill(options.target) : [...options.target];
    if (targets && targets.length !== n) throw new UserError(`target: ${targets.length} class indices given for ${n} samples`);
    const parts = Math.min(this.workers.length + 1, n);
    const bounds = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * n) / parts));
    const sampleSize = x.size / Math.max(n, 1);
    const flat = x.dataSync() as Float32Array;
    // post the workers' slices first, then explain the first slice here while they run
    const remote = bounds.slice(1, -1).map((from, k) => {
      const to = bounds[k + 2];
      const id = this.nextId++;
      const slice = flat.slice(from * sampleSize, to * sampleSize);
      const request: WorkerRequest = {
        type: 'explain',
        id,
        x: slice,
        shape: [to - from, ...x.shape.slice(1)],
        method: options.method,
        options: options.options ?? {},
        target: targets ? Int32Array.from(targets.slice(from, to)) : 'predicted',
      };
      return new Promise<WorkerReply & { type: 'result' }>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.workers[k].postMessage(request, [slice.buffer]);
      });
    });
    const head = tf.slice(x, 0, bounds[1]);
    let local: LRPResult;
    try {
      local = explainLRP(this.network, head, { composite, target: targets ? targets.slice(0, bounds[1]) : 'predicted' });
    } catch (e) {
      await Promise.allSettled(remote); // let the workers finish, so that no reply goes unhandled
      throw e;
    } finally {
      head.dispose();
    }
    let replies: Array<WorkerReply & { type: 'result' }>;
    try {
      replies = await Promise.all(remote);
    } catch (e) {
      tf.dispose([local.relevance, local.output]);
      throw e;
    }
    const [relevance, output] = tf.tidy(() => [
      tf.concat([local.relevance, ...replies.map((r) => tf.tensor(r.relevance, [r.relevance.length / sampleSize, ...x.shape.slice(1)]))]),
      tf.concat([local.output, ...replies.map((r) => tf.tensor(r.output, r.outputShape))]),
    ]);
    tf.dispose([local.relevance, local.output]);
    const target = new Int32Array(n);
    [local.target, ...replies.map((r) => r.target)].reduce((at, part) => (target.set(part, at), at + part.length), 0);
    return { relevance, output, target };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
