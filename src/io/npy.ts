/**
 * NPY files (numpy's `.npy` format, version 1.0) holding float32 little-endian arrays in C order,
 * so arrays written here open with `numpy.load` and arrays saved by numpy read back here.
 * Layout: magic "\x93NUMPY", version 1.0, uint16 LE header length, an ASCII dict padded with
 * spaces and ended by "\n" so that the data starts at a multiple of 64 bytes, then the raw values.
 * The header is byte-for-byte what numpy writes (checked against numpy 1.24) (including its spare room for growth).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { describeFsError } from './fs-error.ts';

const MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const ALIGN = 64;
const GROWTH_DIGITS = 21;

export interface NpyArray {
  data: Float32Array;
  shape: number[];
}

function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** The header bytes numpy writes for a float32 C-order array of this shape. */
export function npyHeader(shape: number[]): Uint8Array {
  // numpy leaves room for the first axis to grow to 21 digits, so files can be appended in place
  const growth = shape.length > 0 ? ' '.repeat(Math.max(0, GROWTH_DIGITS - String(shape[0]).length)) : '';
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText(shape)}, }` + growth;
  const prefix = MAGIC.length + 2 + 2;
  const padded = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
  const text = dict + ' '.repeat(padded - prefix - dict.length - 1) + '\n';
  const header = new Uint8Array(padded);
  header.set(MAGIC, 0);
  header[6] = 1;
  header[7] = 0;
  new DataView(header.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) header[prefix + i] = text.charCodeAt(i);
  return header;
}

/** Write `data` with `shape` (product of shape must equal data.length) atomically to `path`. */
export async function writeNpy(path: string, data: Float32Array, shape: number[]): Promise<void> {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || count !== data.length) {
    throw new RangeError(`writeNpy: shape [${shape}] does not match ${data.length} values`);
  }
  const header = npyHeader(shape);
  const bytes = new Uint8Array(header.length + data.length * 4);
  bytes.set(header, 0);
  const view = new DataView(bytes.buffer, header.length);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  await writeFileAtomic(path, bytes);
}

/** Read a float32 little-endian C-order NPY file (versions 1.0, 2.0 and 3.0 of the header). */
export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`cannot read NPY file ${path}: ${describeFsError(e)}`);
  }
  const bad = (why: string) => new UserError(`${path} is not a float32 NPY file we can read: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw bad('missing the \\x93NUMPY magic');
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`unknown format version ${major}.${bytes[7]}`);
  const lengthBytes = major === 1 ? 2 : 4;
  const headerLength = lengthBytes === 2 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw bad('header is cut short');
  const dict = bytes.toString('latin1', 8 + lengthBytes, dataStart);
  const descr = /'descr':\s*'([^']*)'/.exec(dict)?.[1];
  if (descr !== '<f4') throw bad(`dtype '${descr}' (only '<f4', little-endian float32, is supported)`);
  if (!/'fortran_order':\s*False/.test(dict)) throw bad('Fortran order (only C order is supported)');
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(dict);
  if (!shapeMatch) throw bad('no shape in the header');
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeMatch[1]})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== dataStart + count * 4) {
    throw bad(`shape (${shape.join(', ')}) needs ${count * 4} data bytes, file has ${bytes.length - dataStart}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * 4);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
  return { data, shape };
}
