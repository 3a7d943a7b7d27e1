/**
 * Feature extraction on several cores: the wasm backend runs one thread per Node thread, so the
 * samples are split between the main thread (the first slice, through the caller's model) and
 * worker threads (one slice each, see explain/worker-pool.ts), each holding a copy of the model
 * rebuilt from its topology and weights. Start once (≈ 0.5–2 s per worker: tsx, tfjs and wasm
 * load in each, and the model is rebuilt), then extract many times.
 *
 *   const extractor = await ParallelExtractor.start(model);   // 1 worker + the main thread
 *   const phi = await extractor.extract(dataset);             // = networkExtractor(model).extract(dataset)
 *   await extractor.close();                                  // the caller still owns `model`
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { WorkerPool, workerCount, workerScript } from '../runtime/worker-pool.ts';
import type { Dataset } from '../data/dataset.ts';
import {
  DEFAULT_EXTRACT_BATCH,
  inputSamples,
  networkExtractor,
  type FeatureExtractor,
  type LayerExtractorOptions,
} from './extractor.ts';

/** A LayersModel as plain data (structured-clonable): topology JSON, weight specs and bytes. */
export interface ModelData {
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: tf.io.WeightData;
}

export interface ExtractorWorkerInit {
  model: ModelData;
  layer: string;
  batchSize: number | undefined;
}

export interface ExtractJob {
  /** whole samples, row-major */
  x: Float32Array;
}

export interface ParallelExtractorOptions extends LayerExtractorOptions {
  /** worker threads besides the main thread (default 1: two cores in all) */
  workers?: number;
  /** names the model in messages and in the extractor's name (default 'network') */
  label?: string;
}

const WORKER_SCRIPT = workerScript(import.meta.url, 'extractor-worker');

/** Topology and weights of `model`, in memory (no optimizer state). */
export async function modelToData(model: tf.LayersModel): Promise<ModelData> {
  let data: ModelData | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      data = {
        modelTopology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs ?? [],
        weightData: artifacts.weightData ?? new ArrayBuffer(0),
      };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return data!;
}

/** The model that `data` describes (the caller owns it). */
export function modelFromData(data: ModelData): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: data.modelTopology, weightSpecs: data.weightSpecs, weightData: data.weightData }),
  );
}

export class ParallelExtractor {
  private closed = false;

  private constructor(
    private readonly local: FeatureExtractor,
    private readonly inputSize: number,
    private readonly pool: WorkerPool<ExtractorWorkerInit, ExtractJob, Float32Array>,
  ) {}

  /** A pool extracting the layer `options.layer` (default: as networkExtractor chooses) of `model`, which the caller keeps owning. */
  static async start(model: tf.LayersModel, options: ParallelExtractorOptions = {}): Promise<ParallelExtractor> {
    const count = workerCount(options.workers, 'parallel extractor');
    const local = networkExtractor(model, options);
    const inputSize = (model.inputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    const init: ExtractorWorkerInit = {
      model: await modelToData(model),
      layer: local.layer!,
      batchSize: options.batchSize,
    };
    const pool = await WorkerPool.start<ExtractorWorkerInit, ExtractJob, Float32Array>(WORKER_SCRIPT, count, init);
    local.extract(new Float32Array(inputSize * (options.batchSize ?? DEFAULT_EXTRACT_BATCH))); // warm-up on a whole batch, as the workers do
    return new ParallelExtractor(local, inputSize, pool);
  }

  get name(): string {
    return this.local.name;
  }
  get layer(): string {
    return this.local.layer!;
  }
  get outputShape(): number[] {
    return this.local.outputShape;
  }
  get featureDim(): number {
    return this.local.featureDim;
  }
  /** Threads that extract (the main thread and the workers). */
  get threads(): number {
    return this.pool.size + 1;
  }

  /** Features of every sample, n × featureDim row-major, as networkExtractor(model).extract gives them. */
  async extract(input: Dataset | Float32Array): Promise<Float32Array> {
    if (this.closed) throw new UserError('parallel extractor: already closed');
    const x = inputSamples(input, this.inputSize, `${this.name} (input of ${this.inputSize} values per sample)`);
    const n = x.length / this.inputSize;
    const { local, remote } = await this.pool.splitRows(
      x,
      n,
      this.inputSize,
      (values) => ({ x: values }),
      (from, to) => this.local.extract(x.subarray(from * this.inputSize, to * this.inputSize)),
    );
    const out = new Float32Array(n * this.featureDim);
    [local, ...remote].reduce((at, part) => (out.set(part, at), at + part.length), 0);
    return out;
  }

  /** Stop the workers (the caller's model stays as it is). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }
}
