/**
 * A folder of PNG images. Layout `DIR/<class>/*.png` gives labelled data (class = sub-folder name,
 * classes sorted by name); PNGs directly in DIR give unlabelled data. Grey images stay one channel,
 * colour images become RGB (alpha is ignored); if grey and colour images are mixed, all become RGB.
 * Values are bytes / 255. Hidden entries and non-PNG files are skipped; images deeper down (in a
 * sub-folder of a class folder) are refused rather than silently dropped, and so are class names
 * with control characters (a newline in a folder name), which no later file could keep.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { UserError } from '../errors.ts';
import { CONTROL } from './csv.ts';
import { describeFsError } from '../io/fs-error.ts';
import { readPng, readPngHeader, type PngImage } from '../io/png.ts';
import type { Dataset } from './dataset.ts';
import { checkRange, type SampleSource } from './sample-source.ts';

const isPng = (name: string) => /\.png$/i.test(name) && !name.startsWith('.');
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function listFolder(dir: string): { pngs: string[]; folders: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new UserError(`cannot read image folder ${dir}: ${describeFsError(e)}`);
  }
  const pngs: string[] = [];
  const folders: string[] = [];
  for (const name of names.sort(byName)) {
    if (name.startsWith('.')) continue;
    const full = join(dir, name);
    // a dangling link counts as a file, so that readPng names it if it is a .png
    if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) folders.push(name);
    else if (isPng(name)) pngs.push(name);
  }
  return { pngs, folders };
}

/** Does `dir` hold PNG images, directly or in the folders below it (a few levels: links may loop)? */
function holdsPngs(dir: string, depth = 3): boolean {
  const { pngs, folders } = listFolder(dir);
  return pngs.length > 0 || (depth > 1 && folders.some((f) => holdsPngs(join(dir, f), depth - 1)));
}

/** The image files to load, with the class index of each (null when unlabelled). */
function findImages(dir: string): { files: string[]; labels: number[] | null; classNames: string[] } {
  const top = listFolder(dir);
  const classNames: string[] = [];
  const files: string[] = [];
  const labels: number[] = [];
  for (const folder of top.folders) {
    const { pngs: inner, folders: deeper } = listFolder(join(dir, folder));
    const nested = deeper.find((d) => holdsPngs(join(dir, folder, d)));
    if (nested !== undefined)
      throw new UserError(
        `image folder ${dir}: ${join(folder, nested)}/ holds images one level too deep; only ${dir}/<class>/*.png are read (move them up, or give png:${join(dir, folder)})`,
      );
    if (inner.length === 0) continue;
    if (CONTROL.test(folder))
      throw new UserError(
        `image folder ${dir}: the class folder ${JSON.stringify(folder)} has a control character (a newline?) in its name; rename it`,
      );
    for (const png of inner) {
      files.push(join(dir, folder, png));
      labels.push(classNames.length);
    }
    classNames.push(folder);
  }
  if (classNames.length > 0 && top.pngs.length > 0) {
    throw new UserError(
      `image folder ${dir} mixes PNG files (e.g. ${top.pngs[0]}) with class sub-folders (e.g. ${classNames[0]}/): ` +
        'put every image in a class sub-folder, or all directly in the folder for unlabelled data',
    );
  }
  if (classNames.length > 0) return { files, labels, classNames };
  if (top.pngs.length === 0)
    throw new UserError(`image folder ${dir} holds no PNG images (neither directly nor in sub-folders)`);
  return { files: top.pngs.map((name) => join(dir, name)), labels: null, classNames: [] };
}

function checkSameSize(
  file: string,
  size: { width: number; height: number },
  firstFile: string,
  first: { width: number; height: number },
): void {
  if (size.width !== first.width || size.height !== first.height) {
    throw new UserError(
      `image ${file} is ${size.width}×${size.height} but ${firstFile} is ${first.width}×${first.height}: all images must have one size`,
    );
  }
}

/** Each image's path below the folder, with '/' on every system: the name a user finds it by. */
function sampleNames(dir: string, files: string[]): string[] {
  return files.map((file) => relative(dir, file).split(sep).join('/'));
}

/**
 * The images of a folder without holding them: their headers are checked now (one size, grey or
 * colour), any range of images is decoded when asked.
 */
export function openPngFolder(dir: string): SampleSource {
  const { files, labels, classNames } = findImages(dir);
  const headers = files.map((file) => readPngHeader(file));
  headers.forEach((h, k) => checkSameSize(files[k], h, files[0], headers[0]));
  const { width, height } = headers[0];
  const channels = headers.some((h) => h.colour) ? 3 : 1;
  const size = width * height * channels;
  return {
    source: `png:${dir}`,
    n: files.length,
    sampleShape: [height, width, channels],
    labels: labels ? Int32Array.from(labels) : null,
    classNames,
    names: sampleNames(dir, files),
    valueRange: [0, 1],
    read(from, to) {
      checkRange(from, to, files.length);
      const x = new Float32Array((to - from) * size);
      for (let k = from; k < to; k++) {
        const image = readPng(files[k]);
        checkSameSize(files[k], image, files[0], headers[0]);
        writeSample(image, channels, x.subarray((k - from) * size, (k - from + 1) * size));
      }
      return x;
    },
  };
}

export function loadPngFolder(dir: string): Dataset {
  const { files, labels, classNames } = findImages(dir);
  const images: PngImage[] = [];
  for (const file of files) {
    const image = readPng(file);
    if (images.length > 0) checkSameSize(file, image, files[0], images[0]);
    images.push(image);
  }
  const { width, height } = images[0];
  const channels = images.some((im) => im.channels >= 3) ? 3 : 1;
  const size = width * height * channels;
  const x = new Float32Array(images.length * size);
  images.forEach((image, k) => writeSample(image, channels, x.subarray(k * size, (k + 1) * size)));
  return {
    x,
    n: images.length,
    sampleShape: [height, width, channels],
    labels: labels ? Int32Array.from(labels) : null,
    classNames,
    source: `png:${dir}`,
    names: sampleNames(dir, files),
  };
}

/** Copy one image into `out` as `channels` (1 or 3) values per pixel in [0, 1], dropping alpha. */
function writeSample(image: PngImage, channels: number, out: Float32Array): void {
  const colour = image.channels >= 3;
  for (let p = 0; p < image.width * image.height; p++) {
    const base = p * image.channels;
    for (let c = 0; c < channels; c++) out[p * channels + c] = image.data[base + (colour ? c : 0)] / 255;
  }
}
