/**
 * Which LRP composite below the features explains outliers best? OC-DTD of the top outliers of a
 * run, once per composite, flipped most relevant first with score o(x) (docs/methods.md#ocdtd, #pixel-flipping); the
 * area table, lower is better, random order as the floor.
 *   npx tsx bench/composites.ts [RUN_DIR=runs/bench-cnn] [--top 50] [--reference nearest|zero|mean] [--steps N]
 * Make the run with: node bin/oc-explain.js train --data mnist --features cnn --out runs/bench-cnn
 */
import { initRuntime } from '../src/runtime/runtime.ts';
import { parseReference } from '../src/run/reference-kinds.ts';
import { flipReference } from '../src/run/evaluate-run.ts';
import { chunks, flipInParts } from '../src/metrics/flip-in-parts.ts';
import { RunExplainer } from '../src/run/run-explainer.ts';
import { topOutliers } from '../src/run/scores-csv.ts';
import { areaTable } from '../src/metrics/pixel-flipping.ts';
import { areaTableText } from '../src/run/text-table.ts';

const COMPOSITES = [
  'deep-taylor',
  'epsilon-plus',
  'epsilon-plus-flat',
  'epsilon-gamma-box',
  'epsilon-alpha2-beta1',
  'lrp:z-plus',
  'lrp:0',
];

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : fallback;
};
const dir = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--'))) ?? 'runs/bench-cnn';
const top = Number(flag('--top', '50'));
const reference = parseReference(flag('--reference', 'nearest'));
const steps = args.includes('--steps') ? Number(flag('--steps', '')) : undefined;

const backend = await initRuntime({ quiet: true });
const explainer = await RunExplainer.open(dir);
try {
  const indices = topOutliers(explainer.run.scores, top).map((s) => s.index);
  const methods: Array<{ method: string; relevance: Float32Array }> = [];
  for (const composite of COMPOSITES) {
    const start = performance.now();
    const [result] = await explainer.explain(indices, ['ocdtd'], { composite });
    const seconds = (performance.now() - start) / 1000;
    const sums = Array.from(
      { length: indices.length },
      (_, k) => result.maps.subarray(k * 784, (k + 1) * 784).reduce((a, b) => a + b, 0) / result.outlierness[k],
    );
    const meanRatio = sums.reduce((a, b) => a + b, 0) / sums.length;
    console.error(
      `${composite}: ${seconds.toFixed(2)} s for ${indices.length} samples, mean Σ R / o(x) = ${meanRatio.toFixed(4)}`,
    );
    methods.push({ method: composite, relevance: result.maps });
  }
  const start = performance.now();
  const flipping = await flipInParts(
    chunks(
      Array.from({ length: indices.length }, (_, i) => i),
      10,
    ).map((rows) => ({ rows, score: (x) => explainer.network.forward(x) })),
    {
      values: explainer.inputs(indices),
      sampleShape: explainer.run.dataset.sampleShape,
      methods,
      reference: flipReference(explainer, reference, indices),
    },
    { patchSize: 2, steps },
  );
  console.log(
    `OC-DTD composites on ${dir} (${explainer.run.config.features}, ${backend}): top ${indices.length} outliers, 2×2 patches, reference ${reference}, ${flipping.fractions.length - 1} steps; flipping took ${((performance.now() - start) / 1000).toFixed(1)} s`,
  );
  console.log(areaTableText(areaTable(flipping)));
  // paired comparison: on how many samples does the best composite fall faster than each other order?
  const [best] = areaTable(flipping);
  const bestAreas = flipping.curves.find((c) => c.method === best.method)!.areas;
  for (const curve of flipping.curves.filter((c) => c.method !== best.method)) {
    const wins = curve.areas.filter((a, i) => bestAreas[i] < a).length;
    console.log(`${best.method} below ${curve.method} on ${wins} of ${indices.length} samples`);
  }
} finally {
  explainer.dispose();
}
