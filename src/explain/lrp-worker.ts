/**
 * Worker thread of the LRP pool (lrp-pool.ts): rebuilds the network from its spec once, then
 * explains the batches it is sent and posts the relevance back.
 */
import { parentPort } from 'node:worker_threads';
import { tf, initRuntime } from '../features/runtime.ts';
import { parseComposite } from './composites.ts';
import { explainLRP } from './lrp.ts';
import { networkFromSpec } from './network-spec.ts';
import type { ExplainableNetwork } from './network.ts';
import type { WorkerReply, WorkerRequest } from './lrp-pool.ts';

let network: ExplainableNetwork | null = null;
const port = parentPort!;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', async (request: WorkerRequest) => {
  try {
    if (request.type === 'init') {
      await initRuntime({ quiet: true, backend: request.backend });
      network?.dispose();
      network = networkFromSpec(request.network);
      reply({ type: 'ready' });
      return;
    }
    if (!network) throw new Error('LRP worker: explain before init');
    const composite = parseComposite(request.method, request.options);
    const x = tf.tensor(request.x, request.shape, 'float32');
    const result = explainLRP(network, x, { composite, target: request.target === 'predicted' ? 'predicted' : Array.from(request.target) });
    // copies: the buffers are transferred, and a backend may hand out its own storage
    const relevance = (result.relevance.dataSync() as Float32Array).slice();
    const output = (result.output.dataSync() as Float32Array).slice();
    tf.dispose([x, result.relevance, result.output]);
    const message: WorkerReply = { type: 'result', id: request.id, relevance, output, outputShape: [...result.output.shape], target: result.target };
    reply(message, [relevance.buffer as ArrayBuffer, output.buffer as ArrayBuffer, result.target.buffer as ArrayBuffer]);
  } catch (e) {
    reply({ type: 'error', id: request.type === 'explain' ? request.id : -1, message: e instanceof Error ? e.message : String(e), userError: (e as Error)?.name === 'UserError' });
  }
});
