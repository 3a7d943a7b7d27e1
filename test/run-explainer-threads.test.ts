/**
 * RunExplainer.explain with OC-DTD on two threads (OcdtdPool: the main thread and a worker each
 * explain a slice of every batch with the selected variant's network) gives the maps, o(x) and
 * explained output of one thread, for the published method and the default variant, on a pixel
 * run and through an MLP feature network, in batches that split unevenly; no tensor is left behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { RunExplainer } from '../src/run/run-explainer.ts';
import { DEFAULT_OCDTD_VARIANT, parseOcdtdVariant } from '../src/neuralize/ocdtd-variant-names.ts';
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
  // the published network, and the default variant (below the MLP: through the root point's image)
  const cases = [
    ['pixels', 'plain'],
    ['pixels', DEFAULT_OCDTD_VARIANT],
    ['mlp', 'plain'],
    ['mlp', DEFAULT_OCDTD_VARIANT],
  ] as const;
  for (const [features, variant] of cases) {
    it(`${features}, --ocdtd ${variant}: the same maps, o(x) and explained output as one thread`, async () => {
      const explainer = explainers[features];
      const indices = Array.from({ length: 13 }, (_, i) => (i * 7) % 90);
      const options = { batchSize: 5, ocdtd: parseOcdtdVariant(variant) };
      const [one] = await explainer.explain(indices, ['ocdtd'], { ...options, threads: 1 });
      const before = tf.memory().numTensors;
      const [two] = await explainer.explain(indices, ['ocdtd'], { ...options, threads: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(two.outlierness).toEqual(one.outlierness);
      expect(two.explained).toEqual(one.explained);
      const scale = Math.max(...one.maps.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      let worst = 0;
      for (let k = 0; k < one.maps.length; k++) worst = Math.max(worst, Math.abs(two.maps[k] - one.maps[k]));
      expect(worst).toBeLessThanOrEqual(1e-6 * scale);
    });
  }
});
