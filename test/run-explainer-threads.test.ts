/**
 * RunExplainer.explain with OC-DTD on two threads (OcdtdPool: the main thread and a worker each
 * explain a slice of every batch) gives the maps and o(x) of one thread, on a pixel run and through
 * an MLP feature network, in batches that split unevenly; and it leaves no tensor behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { RunExplainer } from '../src/run/run-explainer.ts';
import { trainRun } from '../src/run/train-run.ts';

const explainers: Record<string, RunExplainer> = {};

beforeAll(async () => {
  const backend = await initRuntime({ quiet: true, backend: 'wasm' });
  const root = mkdtempSync(join(tmpdir(), 'oc-threads-'));
  for (const features of ['pixels', 'mlp'] as const) {
    const out = join(root, features);
    await trainRun({
      data: 'mnist:0,6,limit=90',
      features,
      ...(features === 'mlp' ? { epochs: 1 } : {}),
      kernel: 'gaussian',
      nu: 0.2,
      gamma: 'scale',
      out,
      backend,
    });
    explainers[features] = await RunExplainer.open(out);
  }
}, 300_000);

afterAll(() => Object.values(explainers).forEach((e) => e.dispose()));

describe('OC-DTD on two threads in RunExplainer', () => {
  for (const features of ['pixels', 'mlp'] as const) {
    it(`${features}: the same maps and o(x) as one thread`, async () => {
      const explainer = explainers[features];
      const indices = Array.from({ length: 23 }, (_, i) => (i * 7) % 90);
      const options = { batchSize: 9 };
      const [one] = await explainer.explain(indices, ['ocdtd'], { ...options, threads: 1 });
      const before = tf.memory().numTensors;
      const [two] = await explainer.explain(indices, ['ocdtd'], { ...options, threads: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(two.outlierness).toEqual(one.outlierness);
      const scale = Math.max(...one.maps.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      let worst = 0;
      for (let k = 0; k < one.maps.length; k++) worst = Math.max(worst, Math.abs(two.maps[k] - one.maps[k]));
      expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    });
  }
});
