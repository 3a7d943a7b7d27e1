/**
 * Worker thread of the OC-DTD pool (ocdtd-pool.ts): neuralizes the SVM and rebuilds the feature
 * network once, then explains the slices it is sent and posts the relevance back.
 */
import { tf } from '../runtime/runtime.ts';
import { networkFromSpec } from '../explain/network-spec.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { serveWorker } from '../runtime/worker-pool.ts';
import { neuralize, type NeuralizedOcsvm } from './neuralize.ts';
import { ocdtd } from './ocdtd.ts';
import type { OcdtdJob, OcdtdJobResult, OcdtdWorkerInit } from './ocdtd-pool.ts';

let state: { neuralized: NeuralizedOcsvm; features: ExplainableNetwork | null; network: ExplainableNetwork } | null =
  null;

serveWorker<OcdtdWorkerInit, OcdtdJob, OcdtdJobResult>('OC-DTD', {
  init(request) {
    if (state) {
      state.neuralized.dispose();
      state.features?.dispose();
    }
    const features = request.features ? networkFromSpec(request.features) : null;
    const neuralized = neuralize(request.model, { pooling: request.pooling });
    state = { neuralized, features, network: neuralized.network(features, request.inputShape) };
  },
  run(job) {
    const x = tf.tensor(job.x, job.shape, 'float32');
    const result = ocdtd(state!.network, x, { composite: job.composite, compositeOptions: job.options });
    // a copy: the buffer is transferred, and a backend may hand out its own storage
    const relevance = (result.relevance.dataSync() as Float32Array).slice();
    tf.dispose([x, result.relevance]);
    const outlierness = result.outlierness;
    return {
      result: { relevance, outlierness },
      transfer: [relevance.buffer as ArrayBuffer, outlierness.buffer as ArrayBuffer],
    };
  },
});
