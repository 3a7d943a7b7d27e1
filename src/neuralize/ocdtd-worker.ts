/**
 * Worker thread of the OC-DTD pool (ocdtd-pool.ts): neuralizes the SVM and rebuilds the feature
 * network once, then explains the slices it is sent and posts the relevance back.
 */
import { parentPort } from 'node:worker_threads';
import { tf, initRuntime } from '../features/runtime.ts';
import { networkFromSpec } from '../explain/network-spec.ts';
import type { ExplainableNetwork } from '../explain/network.ts';
import { neuralize, type NeuralizedOcsvm } from './neuralize.ts';
import { ocdtd } from './ocdtd.ts';
import type { OcdtdWorkerReply, OcdtdWorkerRequest } from './ocdtd-pool.ts';

let state: { neuralized: NeuralizedOcsvm; features: ExplainableNetwork | null; network: ExplainableNetwork } | null = null;
const port = parentPort!;

function reply(message: OcdtdWorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', async (request: OcdtdWorkerRequest) => {
  try {
    if (request.type === 'init') {
      await initRuntime({ quiet: true, backend: request.backend });
      if (state) {
        state.neuralized.dispose();
        state.features?.dispose();
      }
      const features = request.features ? networkFromSpec(request.features) : null;
      const neuralized = neuralize(request.model, { pooling: request.pooling });
      state = { neuralized, features, network: neuralized.network(features, request.inputShape) };
      reply({ type: 'ready' });
      return;
    }
    if (!state) throw new Error('OC-DTD worker: explain before init');
    const x = tf.tensor(request.x, request.shape, 'float32');
    const result = ocdtd(state.network, x, { composite: request.composite, compositeOptions: request.options });
    // a copy: the buffer is transferred, and a backend may hand out its own storage
    const relevance = (result.relevance.dataSync() as Float32Array).slice();
    tf.dispose([x, result.relevance]);
    const outlierness = result.outlierness;
    reply({ type: 'result', id: request.id, relevance, outlierness }, [relevance.buffer as ArrayBuffer, outlierness.buffer as ArrayBuffer]);
  } catch (e) {
    reply({ type: 'error', id: request.type === 'explain' ? request.id : -1, message: e instanceof Error ? e.message : String(e), userError: (e as Error)?.name === 'UserError' });
  }
});
