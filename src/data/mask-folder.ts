/**
 * Ground-truth masks from the user: `--masks png:DIR` with one PNG per explained sample, named by
 * its index in the data set (`12.png`), the same height and width as the images. A pixel is inside
 * the mask when its brightness (the mean of its colour channels, alpha ignored) is at least half.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { describeFsError } from '../io/fs-error.ts';
import { readPng } from '../io/png.ts';

export interface SampleMasks {
  /** data-set index of each mask (ascending when read from a folder) */
  indices: number[];
  /** one height × width mask per index, 1 inside */
  masks: Uint8Array;
  height: number;
  width: number;
}

/** The folder of `png:DIR`, or a UserError that says the form. */
export function parseMaskSpec(spec: string, option = '--masks'): string {
  if (!spec.startsWith('png:') || spec.length === 4) {
    throw new UserError(`${option}: give png:DIR, a folder with one mask per sample named by its index (12.png)`);
  }
  return spec.slice(4);
}

export function loadMaskFolder(dir: string, shape: { height: number; width: number; n: number }): SampleMasks {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch (e) {
    throw new UserError(`cannot read mask folder ${dir}: ${describeFsError(e)}`);
  }
  const files = names
    .map((name) => {
      const match = /^(\d+)\.png$/i.exec(name);
      if (!match) throw new UserError(`mask folder ${dir}: '${name}' is not named by a sample index (e.g. 12.png)`);
      const index = Number(match[1]);
      if (index >= shape.n) {
        throw new UserError(`mask ${join(dir, name)}: sample ${index} does not exist (the data have ${shape.n})`);
      }
      return { name, index };
    })
    .sort((a, b) => a.index - b.index);
  if (files.length === 0) throw new UserError(`mask folder ${dir} holds no mask (PNG files named by sample index)`);
  const pixels = shape.height * shape.width;
  const masks = new Uint8Array(files.length * pixels);
  files.forEach(({ name, index }, k) => {
    if (k > 0 && files[k - 1].index === index) throw new UserError(`mask folder ${dir}: two masks for sample ${index}`);
    const path = join(dir, name);
    const png = readPng(path);
    if (png.width !== shape.width || png.height !== shape.height) {
      throw new UserError(`mask ${path} is ${png.width}×${png.height}; the images are ${shape.width}×${shape.height}`);
    }
    const colours = png.channels === 2 || png.channels === 4 ? png.channels - 1 : png.channels;
    let inside = 0;
    for (let p = 0; p < pixels; p++) {
      let sum = 0;
      for (let c = 0; c < colours; c++) sum += png.data[p * png.channels + c];
      const on = sum >= 128 * colours ? 1 : 0;
      masks[k * pixels + p] = on;
      inside += on;
    }
    if (inside === 0 || inside === pixels) {
      throw new UserError(`mask ${path} is ${inside === 0 ? 'empty' : 'full'}: nothing to score against`);
    }
  });
  return { indices: files.map((f) => f.index), masks, height: shape.height, width: shape.width };
}
