import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { loadPngFolder } from '../src/data/png-folder.ts';
import { encodeRawPng, fixtureByte, type RawColourType } from './helpers/raw-png.ts';

const DATA = join(import.meta.dirname, '..', 'data');

/** Expected value of sample pixel (y, x, c) of fixture image `index`, stored with `fileChannels`. */
function expectedImage(index: number, fileChannels: number, outChannels: number, side = 8): number[] {
  const out: number[] = [];
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      for (let c = 0; c < outChannels; c++)
        out.push(Math.fround(fixtureByte(index, y, x, fileChannels === 1 ? 0 : c) / 255));
  return out;
}

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), 'data-png-'));
}

function writeImage(path: string, type: RawColourType, channels: number, width = 4, height = 4, index = 0): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const bytes = Uint8Array.from({ length: width * height * channels }, (_, i) => fixtureByte(index, 0, i, 0));
  writeFileSync(path, encodeRawPng(width, height, type, bytes));
}

describe('loadPngFolder on the committed fixtures', () => {
  it('data/tiny-png: labels from sub-folders; grey mixed with colour → all RGB, alpha dropped, values / 255', () => {
    const ds = loadPngFolder(join(DATA, 'tiny-png'));
    expect(ds.n).toBe(6);
    expect(ds.sampleShape).toEqual([8, 8, 3]);
    expect(ds.classNames).toEqual(['a', 'b']);
    expect(Array.from(ds.labels!)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(ds.source).toBe(`png:${join(DATA, 'tiny-png')}`);
    // files a/0..2 are grey images 0..2; b/0,1 RGB images 3,4; b/2 RGBA image 5 (see data/make-fixtures.ts)
    const fileChannels = [1, 1, 1, 3, 3, 4];
    for (let k = 0; k < 6; k++) {
      expect(Array.from(ds.x.subarray(k * 192, (k + 1) * 192))).toEqual(expectedImage(k, fileChannels[k], 3));
    }
  });

  it('data/tiny-grey: images directly in the folder → unlabelled, one channel', () => {
    const ds = loadPngFolder(join(DATA, 'tiny-grey'));
    expect(ds.n).toBe(3);
    expect(ds.sampleShape).toEqual([8, 8, 1]);
    expect(ds.labels).toBeNull();
    expect(ds.classNames).toEqual([]);
    for (let k = 0; k < 3; k++) {
      expect(Array.from(ds.x.subarray(k * 64, (k + 1) * 64))).toEqual(expectedImage(10 + k, 1, 1));
    }
  });

  it('keeps grey + alpha images grey, skips hidden files, other files and empty sub-folders', () => {
    const dir = tempFolder();
    writeImage(join(dir, 'x', '1.png'), 4, 2);
    writeImage(join(dir, 'x', '.hidden.png'), 2, 3);
    writeFileSync(join(dir, 'x', 'notes.txt'), 'not an image');
    mkdirSync(join(dir, 'empty'));
    writeImage(join(dir, 'y', '1.png'), 0, 1);
    const ds = loadPngFolder(dir);
    expect(ds.sampleShape).toEqual([4, 4, 1]);
    expect(ds.classNames).toEqual(['x', 'y']);
    // grey+alpha stores (grey, alpha) pairs: the grey bytes are the even-numbered ones
    const greyOfPairs = Array.from({ length: 16 }, (_, p) => Math.fround(fixtureByte(0, 0, 2 * p, 0) / 255));
    expect(Array.from(ds.x.subarray(0, 16))).toEqual(greyOfPairs);
  });
});

describe('loadPngFolder bad data: one UserError naming the file or folder', () => {
  function failure(dir: string): Error {
    try {
      loadPngFolder(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      return e as Error;
    }
    throw new Error('loadPngFolder did not fail');
  }

  it('a missing folder', () => {
    const dir = join(tempFolder(), 'nope');
    expect(failure(dir).message).toBe(`cannot read image folder ${dir}: no such file or folder`);
  });

  it('a folder without PNG images', () => {
    const dir = tempFolder();
    writeFileSync(join(dir, 'a.txt'), 'x');
    mkdirSync(join(dir, 'sub'));
    expect(failure(dir).message).toBe(`image folder ${dir} holds no PNG images (neither directly nor in sub-folders)`);
  });

  it('images of different sizes', () => {
    const dir = tempFolder();
    writeImage(join(dir, 'a', '1.png'), 0, 1, 4, 4);
    writeImage(join(dir, 'b', '2.png'), 0, 1, 5, 4);
    const message = failure(dir).message;
    expect(message).toContain(`image ${join(dir, 'b', '2.png')} is 5×4 but ${join(dir, 'a', '1.png')} is 4×4`);
  });

  it('a corrupt PNG file', () => {
    const dir = tempFolder();
    writeImage(join(dir, 'a', '1.png'), 0, 1);
    const bad = join(dir, 'a', '2.png');
    writeFileSync(bad, encodeRawPng(4, 4, 0, new Uint8Array(16)).subarray(0, 30));
    expect(failure(dir).message).toContain(`cannot read PNG image ${bad}`);
  });

  it('a file that only pretends to be a PNG', () => {
    const dir = tempFolder();
    writeFileSync(join(dir, 'fake.png'), 'GIF89a');
    expect(failure(dir).message).toContain(`cannot read PNG image ${join(dir, 'fake.png')}`);
  });

  it('PNG files mixed with class sub-folders', () => {
    const dir = tempFolder();
    writeImage(join(dir, 'loose.png'), 0, 1);
    writeImage(join(dir, 'a', '1.png'), 0, 1);
    expect(failure(dir).message).toContain(
      `image folder ${dir} mixes PNG files (e.g. loose.png) with class sub-folders (e.g. a/)`,
    );
  });
});

describe('loadPngFolder with a dangling link', () => {
  it('names the linked PNG that cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-png-'));
    writeImage(join(dir, 'a.png'), 0, 1);
    symlinkSync(join(dir, 'gone.png'), join(dir, 'b.png'));
    expect(() => loadPngFolder(dir)).toThrow(`cannot read PNG image ${join(dir, 'b.png')}: no such file or folder`);
  });
});
