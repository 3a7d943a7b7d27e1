/**
 * The run-level library functions behind evaluate, report, clusters and demo leave no tensor
 * behind: tf.memory().numTensors is the same after repeated calls (tiny pixel and MLP runs made
 * in-process).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { parseClassifierMethods } from '../src/explain/classifier-methods.ts';
import { clusterRun } from '../src/run/cluster-run.ts';
import { evaluateClassifierExplanations, evaluateOutlierExplanations } from '../src/run/evaluate-run.ts';
import { buildRunReport } from '../src/run/report-run.ts';
import { RunExplainer } from '../src/run/run-explainer.ts';
import { trainRun } from '../src/run/train-run.ts';

let explainer: RunExplainer;

beforeAll(async () => {
  const backend = await initRuntime({ quiet: true, backend: 'wasm' });
  const out = join(mkdtempSync(join(tmpdir(), 'oc-memory-')), 'run');
  await trainRun({
    data: 'mnist:0,6,limit=80',
    features: 'mlp',
    epochs: 1,
    kernel: 'gaussian',
    nu: 0.2,
    gamma: 'scale',
    out,
    backend,
  });
  explainer = await RunExplainer.open(out);
}, 300_000);

afterAll(() => explainer?.dispose());

/** numTensors after the first call (which may build caches) equals it after three more. */
async function stable(work: () => unknown): Promise<void> {
  await work();
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) await work();
  expect(tf.memory().numTensors).toBe(before);
}

describe('run library functions free their tensors', () => {
  const indices = [0, 1, 2];
  it('outlier and classifier evaluation', async () => {
    await stable(() =>
      evaluateOutlierExplanations(explainer, indices, ['ocdtd', 'nn', 'ig'], {
        reference: 'nearest',
        steps: 4,
        gradient: { steps: 4 },
      }),
    );
    await stable(() =>
      evaluateClassifierExplanations(explainer, indices, parseClassifierMethods('gradient,lrp:epsilon-plus'), {
        reference: 'mean',
        steps: 4,
      }),
    );
  });

  it('clusters and the report data', async () => {
    await stable(() => clusterRun(explainer, { k: 2, explain: 2 }));
    await stable(() =>
      buildRunReport(explainer, {
        top: 2,
        methods: ['ocdtd', 'edge'],
        steps: 4,
        classifierSamples: 2,
        classifierMethods: parseClassifierMethods('gxi'),
        clusters: 2,
        clusterSamples: 1,
      }),
    );
  });
});
