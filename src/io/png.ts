/** PNG files via pngjs: read any PNG into 8-bit channels, write RGBA atomically. */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { PNG } from 'pngjs';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { describeFsError } from './fs-error.ts';

export interface PngImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA (palette images count as RGB, with alpha if transparent) */
  channels: 1 | 2 | 3 | 4;
  /** height × width × channels bytes, row-major */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What is wrong with a file pngjs cannot decode, in words (pngjs says "read requests waiting" for a cut file). */
function decodeProblem(bytes: Buffer, e: unknown): string {
  if (bytes.length === 0) return 'the file is empty (0 bytes)';
  if (bytes.length < SIGNATURE.length || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE))
    return 'it is not a PNG image (no PNG signature at its start)';
  const message = (e as Error).message ?? String(e);
  if (/read requests/.test(message)) return 'the file is cut short (truncated)';
  return `the file is corrupt (${message})`;
}

/** Decode `path`; 16-bit images are scaled to 8 bits. Unreadable or corrupt files → UserError. */
export function readPng(path: string): PngImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read PNG image ${path}: ${describeFsError(e)}`);
  }
  let decoded: ReturnType<typeof PNG.sync.read>;
  try {
    decoded = PNG.sync.read(bytes);
  } catch (e) {
    throw new UserError(`cannot read PNG image ${path}: ${decodeProblem(bytes, e)}`);
  }
  const { width, height, color, alpha } = decoded;
  const channels = ((color ? 3 : 1) + (alpha ? 1 : 0)) as PngImage['channels'];
  const rgba = decoded.data;
  const data = new Uint8Array(width * height * channels);
  // pngjs always hands back RGBA; keep only the channels the file really has
  const pick = channels === 1 ? [0] : channels === 2 ? [0, 3] : channels === 3 ? [0, 1, 2] : [0, 1, 2, 3];
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = rgba[p * 4 + pick[c]];
  }
  return { width, height, channels, data };
}

/** Encode an RGBA image (height × width × 4 bytes) and write it atomically to `path`. */
export async function writePng(path: string, width: number, height: number, rgba: Uint8Array): Promise<void> {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    rgba.length !== width * height * 4
  ) {
    throw new RangeError(`writePng: ${rgba.length} bytes are not a ${width}×${height} RGBA image`);
  }
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.length);
  await writeFileAtomic(path, PNG.sync.write(png));
}

/**
 * Width, height and whether the image has colour, from the first 26 bytes of `path` (signature and
 * IHDR chunk): enough to check a folder of images before decoding any.
 */
export function readPngHeader(path: string): { width: number; height: number; colour: boolean } {
  const head = Buffer.alloc(26);
  let got: number;
  try {
    const fd = openSync(path, 'r');
    try {
      got = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new UserError(`cannot read PNG image ${path}: ${describeFsError(e)}`);
  }
  if (
    got < head.length ||
    !head.subarray(0, SIGNATURE.length).equals(SIGNATURE) ||
    head.toString('latin1', 12, 16) !== 'IHDR'
  )
    throw new UserError(
      `cannot read PNG image ${path}: it is not a PNG image (no PNG signature and header at its start)`,
    );
  // colour type bit 1: RGB or palette (palette images are read as RGB)
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20), colour: (head[25] & 2) !== 0 };
}
