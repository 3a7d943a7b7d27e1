/** A small synthetic ReportData for the report tests: random images and maps, a real pixel-flipping run. */
import { tf } from '../src/runtime/runtime.ts';
import { pixelFlipping } from '../src/metrics/pixel-flipping.ts';
import { areasOfSample, type MethodMap, type ReportData, type SampleImage } from '../src/report/report-data.ts';

export const SIDE = 8;

export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

function image(rand: () => number): SampleImage {
  return { height: SIDE, width: SIDE, channels: 1, pixels: Float32Array.from({ length: SIDE * SIDE }, rand) };
}

function maps(rand: () => number, methods: string[]): MethodMap[] {
  return methods.map((method) => ({
    method,
    values: Float32Array.from({ length: SIDE * SIDE }, () => rand() * 2 - 1),
  }));
}

/** `label` goes into the first outlier row (the escaping test passes markup here). */
export async function syntheticReport(label = '7'): Promise<ReportData> {
  const rand = lcg(42);
  const outlierMethods = ['sensitivity', 'OC-DTD', 'gradient×input'];
  const outliers = [0, 1, 2].map((r) => ({
    index: 100 + r,
    label: r === 0 ? label : String(r),
    outlierness: 3 - r * 0.5,
    decision: -0.2 + r * 0.05,
    image: image(rand),
    maps: maps(rand, outlierMethods),
  }));
  const w = Float32Array.from({ length: SIDE * SIDE }, () => rand());
  const score = (x: tf.Tensor) =>
    tf.tidy(() =>
      x
        .reshape([x.shape[0], -1])
        .mul(tf.tensor(w).reshape([1, -1]))
        .sum(1)
        .add(1),
    );
  const stack = (rows: { image: SampleImage }[]) =>
    tf.tensor(Float32Array.from(rows.flatMap((r) => [...r.image.pixels])), [rows.length, SIDE, SIDE]);
  const relevanceOf = (rows: { maps: MethodMap[] }[], method: string) =>
    Float32Array.from(rows.flatMap((r) => [...r.maps.find((m) => m.method === method)!.values]));

  const x = stack(outliers);
  const outlierFlipping = await pixelFlipping(
    score,
    x,
    outlierMethods.map((method) => ({ method, relevance: relevanceOf(outliers, method) })),
    { patchSize: 2 },
  );
  x.dispose();

  const classifierMethods = ['LRP ε', 'integrated gradients'];
  const rows = [0, 1].map((r) => ({
    index: 200 + r,
    label: String(r),
    predicted: String(r),
    logit: 5 + r,
    image: image(rand),
    maps: maps(rand, classifierMethods),
  }));
  const cx = stack(rows);
  const classifierFlipping = await pixelFlipping(
    score,
    cx,
    classifierMethods.map((method) => ({ method, relevance: relevanceOf(rows, method) })),
    { steps: 4 },
  );
  cx.dispose();

  return {
    run: {
      title: 'synthetic run',
      data: 'synthetic',
      nTrain: 50,
      nTest: 20,
      features: 'pixels',
      kernel: 'gaussian',
      nu: 0.1,
      gamma: 0.05,
      nSupportVectors: 7,
      threshold: 1.25,
      trainingSeconds: 0.012,
      rocAuc: 0.875,
      details: [{ name: 'normal class', value: '0' }],
    },
    outliers,
    outlierFlipping,
    classifier: {
      description: 'linear toy classifier',
      rows: rows.map((row, i) => ({ ...row, areas: areasOfSample(classifierFlipping, i) })),
      flipping: classifierFlipping,
    },
    clusters: [
      {
        cluster: '0',
        size: 30,
        samples: [0, 1].map((k) => ({
          index: 300 + k,
          label: '0',
          image: image(rand),
          map: maps(rand, ['n'])[0].values,
        })),
      },
      {
        cluster: '1',
        size: 20,
        samples: [0].map((k) => ({ index: 310 + k, label: '1', image: image(rand), map: maps(rand, ['n'])[0].values })),
      },
    ],
    generatedAt: 'test',
  };
}
