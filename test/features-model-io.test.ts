import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initRuntime } from '../src/runtime/runtime.ts';
import { UserError } from '../src/errors.ts';
import { buildFeatureNetwork } from '../src/features/feature-network.ts';
import { loadModel, saveModel } from '../src/features/model-io.ts';

let dir: string;

beforeAll(async () => {
  await initRuntime({ quiet: true });
  dir = await mkdtemp(join(tmpdir(), 'oc-model-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Deterministic inputs in [0, 1): a fixed LCG, independent of tfjs's random ops. */
function inputs(n: number, size: number): Float32Array {
  const x = new Float32Array(n * size);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648;
  }
  return x;
}

function predict(model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(
    () =>
      (
        model.predict(tf.tensor(x, [x.length / shape.reduce((a, b) => a * b), ...shape])) as tf.Tensor
      ).dataSync() as Float32Array,
  );
}

describe('model files', () => {
  it('save → load gives bit-identical predictions (cnn and mlp)', async () => {
    for (const kind of ['cnn', 'mlp'] as const) {
      const shape = [28, 28, 1];
      const model = buildFeatureNetwork(kind, shape, 10, { seed: 3 });
      const out = join(dir, kind);
      await saveModel(model, out);
      const loaded = await loadModel(out);
      const x = inputs(16, 784);
      const before = predict(model, x, shape);
      const after = predict(loaded, x, shape);
      expect(Array.from(after)).toEqual(Array.from(before));
      expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      model.dispose();
      loaded.dispose();
    }
  });

  it('writes the standard tfjs layers format: model.json manifest + weights.bin holding the weights in manifest order', async () => {
    const model = buildFeatureNetwork('cnn', [28, 28, 1], 10, { seed: 5 });
    model.setUserDefinedMetadata({ classNames: ['a', 'b'] });
    const out = join(dir, 'format');
    const saved = await saveModel(model, out);
    expect((await readdir(out)).sort()).toEqual(['model.json', 'weights.bin']); // no temporaries left
    const json = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Model');
    expect(json.userDefinedMetadata).toEqual({ classNames: ['a', 'b'] });
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const specs: Array<{ name: string; shape: number[]; dtype: string }> = json.weightsManifest[0].weights;
    const modelWeights = new Map(model.weights.map((w) => [w.originalName, w.read()]));
    expect(specs.map((s) => s.name).sort()).toEqual([...modelWeights.keys()].sort());
    // conv1 3×3×1×32+32, conv2 3×3×32×64+64, features 1600×128+128, logits 128×10+10 parameters
    const parameters = 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 1600 * 128 + 128 + 128 * 10 + 10;
    const bin = await readFile(join(out, 'weights.bin'));
    expect(bin.byteLength).toBe(parameters * 4);
    expect(saved.weightBytes).toBe(parameters * 4);
    const values = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    let offset = 0;
    for (const spec of specs) {
      expect(spec.dtype).toBe('float32');
      const expected = modelWeights.get(spec.name)!;
      expect(spec.shape).toEqual(expected.shape);
      const size = spec.shape.reduce((a, b) => a * b, 1);
      expect(Array.from(values.subarray(offset, offset + size))).toEqual(Array.from(expected.dataSync()));
      offset += size;
    }
    model.dispose();
  });

  it("loads through tfjs's own http loader (the reader browsers and other tools use)", async () => {
    const model = buildFeatureNetwork('mlp', [784], 10, { seed: 7 });
    const out = join(dir, 'http');
    await saveModel(model, out);
    const fetchFunc = async (url: RequestInfo | URL) => new Response(await readFile(fileURLToPath(String(url))));
    const viaHttp = await tf.loadLayersModel(tf.io.http(pathToFileURL(join(out, 'model.json')).href, { fetchFunc }));
    const x = inputs(8, 784);
    expect(Array.from(predict(viaHttp, x, [784]))).toEqual(Array.from(predict(model, x, [784])));
    model.dispose();
    viaHttp.dispose();
  });

  it('a missing or corrupt model is a UserError naming the file', async () => {
    const missing = join(dir, 'nowhere');
    await expect(loadModel(missing)).rejects.toThrow(UserError);
    await expect(loadModel(missing)).rejects.toThrow(join(missing, 'model.json'));

    const broken = join(dir, 'broken');
    const model = buildFeatureNetwork('mlp', [784], 10);
    await saveModel(model, broken);
    model.dispose();
    const weights = await readFile(join(broken, 'weights.bin'));
    await writeFile(join(broken, 'weights.bin'), weights.subarray(0, 1000));
    await expect(loadModel(broken)).rejects.toThrow(
      /weights of .*model\.json are corrupt.*describes \d+ bytes.*hold 1000/,
    );

    await rm(join(broken, 'weights.bin'));
    await expect(loadModel(broken)).rejects.toThrow(`weights file ${join(broken, 'weights.bin')}`);

    await writeFile(join(broken, 'model.json'), '{"modelTopology": ');
    await expect(loadModel(join(broken, 'model.json'))).rejects.toThrow(
      `model file ${join(broken, 'model.json')} is not valid JSON`,
    );

    await writeFile(join(broken, 'model.json'), '{"weightsManifest": []}');
    await expect(loadModel(broken)).rejects.toThrow(/has no 'modelTopology'/);

    await writeFile(
      join(broken, 'model.json'),
      JSON.stringify({ modelTopology: { class_name: 'NoSuchLayer', config: {} }, weightsManifest: [] }),
    );
    await expect(loadModel(broken)).rejects.toThrow(UserError);
  });
});
