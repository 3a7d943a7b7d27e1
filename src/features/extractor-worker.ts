/**
 * Worker thread of ParallelExtractor (parallel-extractor.ts): rebuilds the model from its
 * topology and weights once, then extracts the features of the samples it is sent.
 */
import { tf } from '../runtime/runtime.ts';
import { serveWorker } from '../runtime/worker-pool.ts';
import { DEFAULT_EXTRACT_BATCH, networkExtractor, type FeatureExtractor } from './extractor.ts';
import { modelFromData, type ExtractJob, type ExtractorWorkerInit } from './parallel-extractor.ts';

let state: { model: tf.LayersModel; extractor: FeatureExtractor } | null = null;

serveWorker<ExtractorWorkerInit, ExtractJob, Float32Array>('feature extractor', {
  async init({ model: data, layer, batchSize }) {
    state?.model.dispose();
    const model = await modelFromData(data);
    const extractor = networkExtractor(model, { layer, batchSize });
    const size = (model.inputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1);
    // warm-up on a whole batch: the backend sets up its kernels (start-up cost, not extraction)
    extractor.extract(new Float32Array(size * (batchSize ?? DEFAULT_EXTRACT_BATCH)));
    state = { model, extractor };
  },
  run(job) {
    const features = state!.extractor.extract(job.x);
    return { result: features, transfer: [features.buffer as ArrayBuffer] };
  },
});
