/**
 * LRP on several cores: a worker pool (worker-pool.ts), each worker with its own copy of the
 * network, explains slices of the batch while the main thread explains the first slice itself.
 * Only networks built by this engine (fromLayersModel) and composites named as strings (numeric
 * options only) can be sent to workers.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { parseComposite } from './composites.ts';
import { explainLRP, type LRPResult } from './lrp.ts';
import { networkToSpec, type NetworkSpec } from './network-spec.ts';
import type { ExplainableNetwork } from './network.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';

/** Composite options that can cross a thread boundary. */
export interface PlainCompositeOptions {
  epsilon?: number;
  gamma?: number;
  low?: number;
  high?: number;
  unbounded?: boolean;
}

export interface LRPJob {
  x: Float32Array;
  shape: number[];
  method: string;
  options: PlainCompositeOptions;
  target: Int32Array | 'predicted';
}

export interface LRPJobResult {
  relevance: Float32Array;
  output: Float32Array;
  outputShape: number[];
  target: Int32Array;
}

export interface PoolExplainOptions {
  /** an LRP method name as parseComposite reads it, e.g. 'lrp:epsilon-plus-flat' */
  method: string;
  options?: PlainCompositeOptions;
  target: number | readonly number[] | 'predicted';
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'lrp-worker');

export class LRPPool {
  private constructor(
    private readonly network: ExplainableNetwork,
    private readonly pool: WorkerPool<NetworkSpec, LRPJob, LRPJobResult>,
  ) {}

  /**
   * A pool of `workers` threads (default 1: with the main thread, two cores), each holding a copy of
   * `network`; the main thread keeps using `network` itself (the caller still owns it).
   */
  static async start(network: ExplainableNetwork, options: { workers?: number } = {}): Promise<LRPPool> {
    const pool = await WorkerPool.start<NetworkSpec, LRPJob, LRPJobResult>(
      WORKER_SCRIPT,
      workerCount(options.workers, 'LRP pool'),
      networkToSpec(network),
    );
    return new LRPPool(network, pool);
  }

  /** Same result as explainLRP(network, x, …), the batch split between the main thread and the workers. */
  async explain(x: tf.Tensor, options: PoolExplainOptions): Promise<LRPResult> {
    const n = x.shape[0];
    const composite = parseComposite(options.method, options.options);
    const targets =
      options.target === 'predicted'
        ? null
        : typeof options.target === 'number'
          ? new Array<number>(n).fill(options.target)
          : [...options.target];
    if (targets && targets.length !== n)
      throw new UserError(`target: ${targets.length} class indices given for ${n} samples`);
    const { local, remote } = await this.pool.split(
      x,
      (values, shape, from, to) => ({
        x: values,
        shape,
        method: options.method,
        options: options.options ?? {},
        target: targets ? Int32Array.from(targets.slice(from, to)) : 'predicted',
      }),
      (head, to) => explainLRP(this.network, head, { composite, target: targets ? targets.slice(0, to) : 'predicted' }),
      (result) => tf.dispose([result.relevance, result.output]),
    );
    const sampleShape = x.shape.slice(1);
    const [relevance, output] = tf.tidy(() => [
      tf.concat([local.relevance, ...remote.map((r) => tf.tensor(r.relevance, [r.target.length, ...sampleShape]))]),
      tf.concat([local.output, ...remote.map((r) => tf.tensor(r.output, r.outputShape))]),
    ]);
    tf.dispose([local.relevance, local.output]);
    const target = new Int32Array(n);
    [local.target, ...remote.map((r) => r.target)].reduce((at, part) => (target.set(part, at), at + part.length), 0);
    return { relevance, output, target };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
