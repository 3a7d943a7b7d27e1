/**
 * A pool of worker threads that each compute a slice of a batch (explanations, SVM scores,
 * features). The wasm backend runs one thread per Node thread, so the batch is split between the
 * main thread (the first slice) and the workers (one slice each). This module holds what every such pool shares: starting workers through tsx,
 * the init/job/result/error messages, routing replies to their callers, and the batch split. What
 * a worker holds and computes is given by its script (see serveWorker).
 */
import { parentPort, Worker } from 'node:worker_threads';
import { tf, activeBackend, initRuntime } from './runtime.ts';
import { UserError } from '../errors.ts';

export type PoolRequest<Init, Job> =
  { type: 'init'; backend: string | undefined; init: Init } | { type: 'job'; id: number; job: Job };

export type PoolReply<Result> =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: Result }
  | { type: 'error'; id: number; message: string; userError: boolean };

/**
 * The worker module `name` beside the module at `base` (its import.meta.url), in the same form:
 * compiled JavaScript in dist/, TypeScript when the sources run directly (tests, benches).
 */
export function workerScript(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

/** Start a worker on `script`; a TypeScript source goes through tsx, which only development installs. */
function spawnWorker(script: URL): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script);
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

const errorOf = (reply: { message: string; userError: boolean }) =>
  reply.userError ? new UserError(reply.message) : new Error(reply.message);

/** The `workers` option of a pool (default 1: with the main thread, both cores), checked. */
export function workerCount(workers: number | undefined, what: string): number {
  const count = workers ?? 1;
  if (!(Number.isInteger(count) && count >= 0))
    throw new UserError(`${what}: workers must be an integer ≥ 0, got ${count}`);
  return count;
}

export class WorkerPool<Init, Job, Result> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: PoolReply<Result>) => {
        if (reply.type === 'ready') return;
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        if (reply.type === 'result') waiting.resolve(reply.result);
        else waiting.reject(errorOf(reply));
      });
      worker.on('error', (e) => {
        for (const waiting of this.pending.values()) waiting.reject(e);
        this.pending.clear();
      });
    }
  }

  /** `count` workers running `script`, each initialised with `init` on the main thread's backend. */
  static async start<Init, Job, Result>(
    script: URL,
    count: number,
    init: Init,
  ): Promise<WorkerPool<Init, Job, Result>> {
    const workers = Array.from({ length: count }, () => spawnWorker(script));
    const request: PoolRequest<Init, Job> = { type: 'init', backend: activeBackend() ?? undefined, init };
    try {
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (reply: PoolReply<Result>) => {
                if (reply.type === 'ready') resolve();
                else if (reply.type === 'error') reject(errorOf(reply));
                else return;
                worker.off('message', onMessage);
              };
              worker.on('message', onMessage);
              worker.once('error', reject);
              worker.postMessage(request);
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new WorkerPool<Init, Job, Result>(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Bounds of the slices of n samples: [0, b1) for the main thread, [b_k, b_k+1) for worker k−1 (none empty). */
  private sliceBounds(n: number): number[] {
    const parts = Math.max(1, Math.min(this.workers.length + 1, n));
    return Array.from({ length: parts + 1 }, (_, k) => Math.round((k * n) / parts));
  }

  /** Send `job` to worker k; `transfer` buffers move to it. */
  run(k: number, job: Job, transfer: ArrayBuffer[] = []): Promise<Result> {
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[k].postMessage({ type: 'job', id, job } satisfies PoolRequest<Init, Job>, transfer);
    });
  }

  /**
   * Split the batch x into one slice per thread: slices 1… go to the workers as
   * `makeJob(values, shape)` while `local(head)` explains slice 0 here. `disposeLocal` frees the
   * local result if a worker fails. Returns the local result and the workers' results in order.
   */
  async split<Local>(
    x: tf.Tensor,
    makeJob: (values: Float32Array, shape: number[], from: number, to: number) => Job,
    local: (head: tf.Tensor, to: number) => Local,
    disposeLocal: (result: Local) => void,
  ): Promise<{ local: Local; remote: Result[] }> {
    const n = x.shape[0];
    const bounds = this.sliceBounds(n);
    const sampleSize = x.size / Math.max(n, 1);
    const flat = x.dataSync() as Float32Array;
    // post the workers' slices first, then explain the first slice here while they run
    const pending = bounds.slice(1, -1).map((from, k) => {
      const to = bounds[k + 2];
      const values = flat.slice(from * sampleSize, to * sampleSize);
      return this.run(k, makeJob(values, [to - from, ...x.shape.slice(1)], from, to), [values.buffer]);
    });
    const head = tf.slice(x, 0, bounds[1]);
    let mine: Local;
    try {
      mine = local(head, bounds[1]);
    } catch (e) {
      await Promise.allSettled(pending); // let the workers finish, so that no reply goes unhandled
      throw e;
    } finally {
      head.dispose();
    }
    try {
      return { local: mine, remote: await Promise.all(pending) };
    } catch (e) {
      disposeLocal(mine);
      throw e;
    }
  }

  /**
   * Split n rows of `size` values (row-major `data`) like split, without tensors: rows
   * [bounds[k], bounds[k+1]) go to worker k−1 as `makeJob(copy of those rows, from, to)` while
   * `local(0, bounds[1])` computes the first slice here (on `data` itself, no copy).
   */
  async splitRows<Local>(
    data: Float32Array,
    n: number,
    size: number,
    makeJob: (values: Float32Array, from: number, to: number) => Job,
    local: (from: number, to: number) => Local,
  ): Promise<{ local: Local; remote: Result[] }> {
    const bounds = this.sliceBounds(n);
    const pending = bounds.slice(1, -1).map((from, k) => {
      const to = bounds[k + 2];
      const values = data.slice(from * size, to * size);
      return this.run(k, makeJob(values, from, to), [values.buffer as ArrayBuffer]);
    });
    let mine: Local;
    try {
      mine = local(0, bounds[1]);
    } catch (e) {
      await Promise.allSettled(pending); // let the workers finish, so that no reply goes unhandled
      throw e;
    }
    return { local: mine, remote: await Promise.all(pending) };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface WorkerHandlers<Init, Job, Result> {
  /** build the worker's state (the runtime is already initialised); may be async (e.g. loading a model) */
  init(init: Init): void | Promise<void>;
  /** one job: its result and the buffers to transfer back */
  run(job: Job): { result: Result; transfer: ArrayBuffer[] };
}

/** The worker side: initialise the runtime and `handlers` on 'init', then answer every job. */
export function serveWorker<Init, Job, Result>(name: string, handlers: WorkerHandlers<Init, Job, Result>): void {
  const port = parentPort;
  if (!port) throw new Error(`${name} worker: not running in a worker thread`);
  let ready = false;
  const reply = (message: PoolReply<Result>, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  port.on('message', async (request: PoolRequest<Init, Job>) => {
    try {
      if (request.type === 'init') {
        await initRuntime({ quiet: true, backend: request.backend });
        await handlers.init(request.init);
        ready = true;
        reply({ type: 'ready' });
        return;
      }
      if (!ready) throw new Error(`${name} worker: job before init`);
      const { result, transfer } = handlers.run(request.job);
      reply({ type: 'result', id: request.id, result }, transfer);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      reply({
        type: 'error',
        id: request.type === 'job' ? request.id : -1,
        message,
        userError: (e as Error)?.name === 'UserError',
      });
    }
  });
}
