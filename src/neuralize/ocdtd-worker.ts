/**
 * Worker thread of the OC-DTD pool (ocdtd-pool.ts): rebuilds the feature network and the explained
 * network (the neuralized SVM or a variant's) once, then explains the slices it is sent and posts
 * the relevance back.
 */
import { tf } from '../runtime/runtime.ts';
import { networkFromSpec } from '../explain/network-spec.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { serveWorker } from '../runtime/worker-pool.ts';
import { ocdtd } from './ocdtd.ts';
import {
  explainedNetwork,
  type ExplainedNetwork,
  type OcdtdJob,
  type OcdtdJobResult,
  type OcdtdWorkerInit,
} from './ocdtd-pool.ts';

let state: { explained: ExplainedNetwork; features: ExplainableNetwork | null } | null = null;

serveWorker<OcdtdWorkerInit, OcdtdJob, OcdtdJobResult>('OC-DTD', {
  init(request) {
    if (state) {
      state.explained.dispose();
      state.features?.dispose();
    }
    const features = request.features ? networkFromSpec(request.features) : null;
    const { model, inputShape, pooling, variant } = request;
    state = { explained: explainedNetwork(model, features, inputShape, pooling, variant), features };
  },
  run(job) {
    const x = tf.tensor(job.x, job.shape, 'float32');
    const result = ocdtd(state!.explained.network, x, { composite: job.composite, compositeOptions: job.options });
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
