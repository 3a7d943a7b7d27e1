/**
 * A minimal PNG encoder written from the PNG specification (signature, IHDR/PLTE/tRNS/IDAT/IEND
 * chunks with CRC-32, filter type 0, zlib via node), independent of pngjs: fixtures and tests
 * made with it check our pngjs-based reader against a second implementation.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
export type RawColourType = 0 | 2 | 3 | 4 | 6;
const SAMPLES: Record<RawColourType, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Encode 8-bit samples (height × width × samples-per-pixel; palette indices for type 3).
 * `palette` is RGB triples, `paletteAlpha` optional alpha per palette entry (tRNS).
 */
export function encodeRawPng(
  width: number,
  height: number,
  colourType: RawColourType,
  samples: Uint8Array,
  palette?: Uint8Array,
  paletteAlpha?: Uint8Array,
): Buffer {
  const perPixel = SAMPLES[colourType];
  if (samples.length !== width * height * perPixel) throw new Error('encodeRawPng: wrong sample count');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  const rows = Buffer.alloc(height * (1 + width * perPixel));
  for (let y = 0; y < height; y++) {
    rows[y * (1 + width * perPixel)] = 0; // filter: none
    rows.set(samples.subarray(y * width * perPixel, (y + 1) * width * perPixel), y * (1 + width * perPixel) + 1);
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (palette) parts.push(chunk('PLTE', palette));
  if (paletteAlpha) parts.push(chunk('tRNS', paletteAlpha));
  parts.push(chunk('IDAT', deflateSync(rows)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** The pixel pattern of the committed fixtures in data/: byte of image `image`, row y, column x, channel c. */
export function fixtureByte(image: number, y: number, x: number, c: number): number {
  return (image * 29 + y * 31 + x * 7 + c * 85) % 256;
}
