/**
 * Worker thread of the LRP pool (lrp-pool.ts): rebuilds the network from its spec once, then
 * explains the batches it is sent and posts the relevance back.
 */
import { tf } from '../runtime/runtime.ts';
import { parseComposite } from './composites.ts';
import { explainLRP } from './lrp.ts';
import { networkFromSpec, type NetworkSpec } from './network-spec.ts';
import type { ExplainableNetwork } from './network.ts';
import type { LRPJob, LRPJobResult } from './lrp-pool.ts';
import { serveWorker } from '../runtime/worker-pool.ts';

let network: ExplainableNetwork | null = null;

serveWorker<NetworkSpec, LRPJob, LRPJobResult>('LRP', {
  init(spec) {
    network?.dispose();
    network = networkFromSpec(spec);
  },
  run(job) {
    const composite = parseComposite(job.method, job.options);
    const x = tf.tensor(job.x, job.shape, 'float32');
    const result = explainLRP(network!, x, {
      composite,
      target: job.target === 'predicted' ? 'predicted' : Array.from(job.target),
    });
    // copies: the buffers are transferred, and a backend may hand out its own storage
    const relevance = (result.relevance.dataSync() as Float32Array).slice();
    const output = (result.output.dataSync() as Float32Array).slice();
    tf.dispose([x, result.relevance, result.output]);
    return {
      result: { relevance, output, outputShape: [...result.output.shape], target: result.target },
      transfer: [relevance.buffer as ArrayBuffer, output.buffer as ArrayBuffer, result.target.buffer as ArrayBuffer],
    };
  },
});
