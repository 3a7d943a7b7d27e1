/**
 * Saving the relevance maps of one explanation method for a batch of samples, in one folder per
 * method (built aside and renamed into place, so a folder is either complete or absent):
 *   <out>/<method>/relevance.npy   float32 [N, H, W], for numpy
 *   <out>/<method>/relevance.json  per sample: data-set index, sum, min, max, extra fields and
 *                                  the map as nested arrays [H][W] (null for non-finite values)
 *   <out>/<method>/sample-<index>.png  red/white/blue heat map, symmetric scale per image
 *   <out>/<method>/colour-bar.png  the legend: −max|R| blue … 0 white … +max|R| red
 */
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { writeDirAtomic } from '../io/output-folder.ts';
import { writeNpy } from '../io/npy.ts';
import { writePng } from '../io/png.ts';
import { renderColourBar, renderInput, renderRelevance, type RgbaImage } from './heatmap.ts';

export interface RelevanceBatch {
  /** method name as given on the CLI, e.g. 'ig' or 'lrp:epsilon-plus-flat' */
  method: string;
  /** data-set index of each sample (distinct) */
  indices: number[];
  /** N × height × width values, row-major */
  maps: Float32Array;
  height: number;
  width: number;
  /** extra per-sample fields for the JSON (target class, f(x), completeness error, …) */
  perSample?: Array<Record<string, number | string | boolean | null>>;
  /** method-level facts for the JSON (options used, model, data spec, …) */
  info?: Record<string, unknown>;
}

export interface RelevanceOutputOptions {
  /** integer enlargement of the PNG heat maps (default 8 for maps up to 64 px wide, else 1) */
  upscale?: number;
}

export interface SampleSummary {
  index: number;
  sum: number | null;
  min: number | null;
  max: number | null;
  png: string;
}

/** What was written, with paths relative to the method folder. */
export interface RelevanceFiles {
  dir: string;
  npy: string;
  json: string;
  samples: SampleSummary[];
}

/** A method name as a folder name: 'lrp:epsilon-plus-flat' → 'lrp-epsilon-plus-flat'. */
export function methodFolderName(method: string): string {
  const name = method.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  if (!name) throw new UserError(`method name '${method}' gives no usable folder name`);
  return name;
}

function defaultUpscale(width: number): number {
  return width <= 64 ? 8 : 1;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** 9 significant digits: enough to read every float32 back exactly, without float64 noise. */
const jsonValue = (v: number): number | null => (Number.isFinite(v) ? Number(v.toPrecision(9)) : null);

function checkBatch(batch: RelevanceBatch): void {
  const { indices, maps, height, width, perSample } = batch;
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new Error(`relevance maps must have a positive integer size, got ${height} × ${width}`);
  }
  if (maps.length !== indices.length * height * width) {
    throw new Error(`${maps.length} relevance values are not ${indices.length} maps of ${height} × ${width}`);
  }
  if (perSample && perSample.length !== indices.length) {
    throw new Error(`${perSample.length} per-sample records for ${indices.length} samples`);
  }
  const seen = new Set<number>();
  for (const index of indices) {
    if (seen.has(index))
      throw new UserError(`sample index ${index} is listed twice; each sample can be explained once per run`);
    seen.add(index);
  }
}

function summarise(map: Float32Array): { sum: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { sum, min, max };
}

/** Write the NPY, JSON and PNG files of one method into <outDir>/<method folder>/. */
export async function writeRelevanceBatch(
  outDir: string,
  batch: RelevanceBatch,
  options: RelevanceOutputOptions = {},
): Promise<RelevanceFiles> {
  checkBatch(batch);
  const { method, indices, maps, height, width } = batch;
  const upscale = options.upscale ?? defaultUpscale(width);
  const pixels = height * width;
  const dir = join(outDir, methodFolderName(method));
  const samples: SampleSummary[] = [];
  const records = indices.map((index, n) => {
    const map = maps.subarray(n * pixels, (n + 1) * pixels);
    const { sum, min, max } = summarise(map);
    const summary = {
      index,
      sum: finiteOrNull(sum),
      min: finiteOrNull(min),
      max: finiteOrNull(max),
      png: `sample-${index}.png`,
    };
    samples.push(summary);
    const rows = Array.from({ length: height }, (_, y) =>
      Array.from(map.subarray(y * width, (y + 1) * width), jsonValue),
    );
    return { ...batch.perSample?.[n], ...summary, relevance: rows };
  });
  const json = {
    method,
    shape: [indices.length, height, width],
    npy: 'relevance.npy',
    colourScale: 'symmetric per image: ±max|R| of each map',
    ...(batch.info ? { info: batch.info } : {}),
    samples: records,
  };
  await writeDirAtomic(dir, 'relevance-maps', async (tmp) => {
    await writeNpy(join(tmp, 'relevance.npy'), maps, [indices.length, height, width]);
    await writeFileAtomic(join(tmp, 'relevance.json'), JSON.stringify(json) + '\n');
    for (let n = 0; n < indices.length; n++) {
      const image = renderRelevance(maps.subarray(n * pixels, (n + 1) * pixels), height, width, { upscale });
      await writeImage(join(tmp, samples[n].png), image);
    }
    await writeImage(join(tmp, 'colour-bar.png'), renderColourBar(256, 16));
  });
  return { dir, npy: 'relevance.npy', json: 'relevance.json', samples };
}

function writeImage(path: string, image: RgbaImage): Promise<void> {
  return writePng(path, image.width, image.height, image.rgba);
}

/**
 * The explained inputs as PNGs <outDir>/inputs/sample-<index>.png (grey or colour), each file
 * written atomically. `x` holds N samples of `sampleShape` = [height, width, channels] in [0, 1].
 */
export async function writeInputImages(
  outDir: string,
  indices: number[],
  x: Float32Array,
  sampleShape: readonly number[],
  options: RelevanceOutputOptions = {},
): Promise<string[]> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  if (sampleShape.length < 2 || x.length !== indices.length * size) {
    throw new Error(`${x.length} values are not ${indices.length} images of shape [${sampleShape}]`);
  }
  const upscale = options.upscale ?? defaultUpscale(sampleShape[1]);
  const paths: string[] = [];
  for (let n = 0; n < indices.length; n++) {
    const path = join(outDir, 'inputs', `sample-${indices[n]}.png`);
    await writeImage(path, renderInput(x.subarray(n * size, (n + 1) * size), sampleShape, { upscale }));
    paths.push(path);
  }
  return paths;
}
