/**
 * Save and load tfjs LayersModels as files in the standard tfjs layers format — a `model.json`
 * (modelTopology + weightsManifest) beside one `weights.bin` — so that the files also load in
 * tfjs-node's `file://` loader and the tfjs converter. Pure @tensorflow/tfjs has no file system
 * handler in Node, hence this small IOHandler.
 */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface SavedModelFiles {
  modelJsonPath: string;
  weightsPath: string;
  weightBytes: number;
}

/** A directory, or the path of a model.json, → the path of the model.json. */
export function modelJsonPathOf(path: string): string {
  return path.endsWith('.json') ? resolve(path) : resolve(path, MODEL_JSON);
}

/** Write `data` to `path` via a temporary name beside it, so that no reader sees half a file. */
async function writeTemporary(path: string, data: string | Uint8Array): Promise<string> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, data);
  return temporary;
}

function weightBuffer(weightData: tf.io.WeightData | undefined): Buffer {
  if (weightData === undefined) return Buffer.alloc(0);
  const parts = Array.isArray(weightData) ? weightData : [weightData];
  return Buffer.concat(parts.map((part) => Buffer.from(part)));
}

const BYTES_PER_VALUE: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  float16: 2,
  uint16: 2,
};

/** Bytes that `specs` occupy in the weights file, or null when it cannot be known (string tensors). */
function expectedWeightBytes(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const bytes = BYTES_PER_VALUE[spec.quantization?.dtype ?? spec.dtype];
    if (bytes === undefined) return null;
    total += spec.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

async function readModelJson(path: string): Promise<tf.io.ModelJSON> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `model file ${path} does not exist (expected a tfjs layers model.json)`
        : `cannot read model file ${path}: ${(e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`model file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const model = json as Partial<tf.io.ModelJSON> | null;
  if (
    typeof model !== 'object' ||
    model === null ||
    typeof model.modelTopology !== 'object' ||
    model.modelTopology === null
  ) {
    throw new UserError(`model file ${path} has no 'modelTopology': not a tfjs layers model.json`);
  }
  if (
    !Array.isArray(model.weightsManifest) ||
    !model.weightsManifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))
  ) {
    throw new UserError(`model file ${path} has no valid 'weightsManifest' (a list of {paths, weights})`);
  }
  return model as tf.io.ModelJSON;
}

/** Weight files of every manifest group, concatenated in manifest order (how tfjs lays them out). */
async function readWeights(modelJsonPath: string, manifest: tf.io.WeightsManifestConfig): Promise<ArrayBuffer> {
  const directory = dirname(modelJsonPath);
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    for (const relative of group.paths) {
      const path = join(directory, relative);
      try {
        buffers.push(await readFile(path));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new UserError(
          code === 'ENOENT'
            ? `weights file ${path} (listed in ${modelJsonPath}) does not exist`
            : `cannot read weights file ${path}: ${(e as Error).message}`,
        );
      }
    }
  }
  const all = Buffer.concat(buffers);
  const expected = expectedWeightBytes(manifest.flatMap((g) => g.weights));
  if (expected !== null && expected !== all.byteLength) {
    throw new UserError(
      `weights of ${modelJsonPath} are corrupt: the manifest describes ${expected} bytes, the weight files hold ${all.byteLength}`,
    );
  }
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
}

/**
 * An IOHandler for `model.save` / `tf.loadLayersModel` on the file system. `path` is a directory
 * (model.json and weights.bin go inside it) or the path of a model.json.
 */
export function fileSystemHandler(path: string): tf.io.IOHandler {
  const modelJsonPath = modelJsonPathOf(path);
  const weightsPath = join(dirname(modelJsonPath), WEIGHTS_BIN);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology === undefined) {
        throw new Error('fileSystemHandler saves layers models (JSON topology) only');
      }
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      await mkdir(dirname(modelJsonPath), { recursive: true });
      const temporaries: string[] = [];
      try {
        temporaries.push(await writeTemporary(weightsPath, weightBuffer(artifacts.weightData)));
        temporaries.push(await writeTemporary(modelJsonPath, JSON.stringify(modelJson)));
        // weights first: a model.json is never visible before the weights it describes
        await rename(temporaries[0], weightsPath);
        await rename(temporaries[1], modelJsonPath);
      } catch (e) {
        await Promise.all(temporaries.map((t) => unlink(t).catch(() => undefined)));
        throw new UserError(`cannot write the model to ${dirname(modelJsonPath)}: ${(e as Error).message}`);
      }
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = await readModelJson(modelJsonPath);
      const weightData = await readWeights(modelJsonPath, modelJson.weightsManifest);
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        trainingConfig: modelJson.trainingConfig,
        userDefinedMetadata: modelJson.userDefinedMetadata,
        weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
        weightData,
      };
    },
  };
}

/** Save `model` as `dir/model.json` + `dir/weights.bin` (each written atomically). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<SavedModelFiles> {
  const modelJsonPath = modelJsonPathOf(dir);
  const result = await model.save(fileSystemHandler(modelJsonPath));
  return {
    modelJsonPath,
    weightsPath: join(dirname(modelJsonPath), WEIGHTS_BIN),
    weightBytes: result.modelArtifactsInfo.weightDataBytes ?? 0,
  };
}

/** Load a tfjs LayersModel from a directory holding model.json, or from a model.json path. */
export async function loadModel(path: string): Promise<tf.LayersModel> {
  const modelJsonPath = modelJsonPathOf(path);
  try {
    return await tf.loadLayersModel(fileSystemHandler(modelJsonPath));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      `cannot load the tfjs layers model ${modelJsonPath} (${basename(modelJsonPath)} is corrupt or not a layers model): ${(e as Error).message}`,
    );
  }
}
