import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { readPng, writePng } from '../src/io/png.ts';
import { encodeRawPng, fixtureByte, type RawColourType } from './helpers/raw-png.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'io-png-'));
const W = 5;
const H = 3;

function pattern(channels: number): Uint8Array {
  return Uint8Array.from({ length: W * H * channels }, (_, i) => {
    const c = i % channels;
    const p = (i - c) / channels;
    return fixtureByte(1, Math.floor(p / W), p % W, c);
  });
}

describe('readPng', () => {
  const types: [RawColourType, number][] = [
    [0, 1],
    [4, 2],
    [2, 3],
    [6, 4],
  ];
  for (const [colourType, channels] of types) {
    it(`reads colour type ${colourType} as ${channels} channel(s) with the encoded bytes`, () => {
      const path = join(tempDir(), 'im.png');
      const samples = pattern(channels);
      writeFileSync(path, encodeRawPng(W, H, colourType, samples));
      const image = readPng(path);
      expect(image).toMatchObject({ width: W, height: H, channels });
      expect(Array.from(image.data)).toEqual(Array.from(samples));
    });
  }

  it('expands palette images to RGB, and to RGBA when the palette has transparency', () => {
    const dir = tempDir();
    const palette = Uint8Array.from([10, 20, 30, 200, 100, 0, 7, 8, 9]);
    const indices = Uint8Array.from({ length: W * H }, (_, i) => i % 3);
    writeFileSync(join(dir, 'p.png'), encodeRawPng(W, H, 3, indices, palette));
    writeFileSync(join(dir, 'pa.png'), encodeRawPng(W, H, 3, indices, palette, Uint8Array.from([255, 0, 128])));
    const rgb = readPng(join(dir, 'p.png'));
    const rgba = readPng(join(dir, 'pa.png'));
    expect(rgb.channels).toBe(3);
    expect(rgba.channels).toBe(4);
    const alpha = [255, 0, 128];
    for (let p = 0; p < W * H; p++) {
      const k = indices[p];
      expect(Array.from(rgb.data.subarray(p * 3, p * 3 + 3))).toEqual(Array.from(palette.subarray(k * 3, k * 3 + 3)));
      expect(Array.from(rgba.data.subarray(p * 4, p * 4 + 4))).toEqual([
        ...palette.subarray(k * 3, k * 3 + 3),
        alpha[k],
      ]);
    }
  });

  it('stops with a UserError naming the file when it is missing, not a PNG or cut short', () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.png');
    expect(() => readPng(missing)).toThrow(UserError);
    expect(() => readPng(missing)).toThrow(`cannot read PNG image ${missing}: no such file or folder`);
    const text = join(dir, 'text.png');
    writeFileSync(text, 'not an image at all');
    expect(() => readPng(text)).toThrow(UserError);
    expect(() => readPng(text)).toThrow(text);
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, encodeRawPng(W, H, 2, pattern(3)).subarray(0, 40));
    expect(() => readPng(cut)).toThrow(UserError);
    expect(() => readPng(cut)).toThrow(cut);
  });
});

describe('writePng', () => {
  it('writes an 8-bit RGBA PNG (checked in the raw IHDR bytes) that reads back identically, leaving no temp file', async () => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'out.png');
    const rgba = pattern(4);
    await writePng(path, W, H, rgba);
    const bytes = readFileSync(path);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.toString('latin1', 12, 16)).toBe('IHDR');
    expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20), bytes[24], bytes[25]]).toEqual([W, H, 8, 6]);
    const back = readPng(path);
    expect(back).toMatchObject({ width: W, height: H, channels: 4 });
    expect(Array.from(back.data)).toEqual(Array.from(rgba));
    expect(readdirSync(join(dir, 'sub'))).toEqual(['out.png']);
  });

  it('refuses a buffer that is not width × height × 4 bytes, writing nothing', async () => {
    const dir = tempDir();
    await expect(writePng(join(dir, 'x.png'), W, H, new Uint8Array(W * H * 3))).rejects.toThrow(RangeError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
