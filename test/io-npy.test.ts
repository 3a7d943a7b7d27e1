import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { npyHeader, readNpy, writeNpy } from '../src/io/npy.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'npy');
/** The values test/fixtures/npy/make-npy.py saved: float32(i / 7 − 3) for i = 0, 1, … */
const reference = (count: number) => Float32Array.from({ length: count }, (_, i) => Math.fround(i / 7 - 3));
const tempDir = () => mkdtempSync(join(tmpdir(), 'io-npy-'));

describe('npy header', () => {
  it('follows the format spec: magic, version 1.0, LE length, dict padded with spaces to 64 incl. newline', () => {
    const header = npyHeader([2, 3, 4]);
    expect(Array.from(header.subarray(0, 6))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    expect([header[6], header[7]]).toEqual([1, 0]);
    const length = header[8] + 256 * header[9];
    expect(10 + length).toBe(header.length);
    expect(header.length % 64).toBe(0);
    const text = Buffer.from(header.subarray(10)).toString('latin1');
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }";
    expect(text.startsWith(dict)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(dict.length, -1)).toMatch(/^ +$/);
    // 10 + 62-char dict + 20 growth spaces for "2" → 92, next multiple of 64 is 128
    expect(header.length).toBe(128);
  });

  it('writes 1-d shapes with the trailing comma Python uses for one-element tuples', () => {
    const text = Buffer.from(npyHeader([5]).subarray(10)).toString('latin1');
    expect(text.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }")).toBe(true);
  });
});

describe('writeNpy / readNpy', () => {
  const cases: [string, number[]][] = [
    ['arange-2x3x4', [2, 3, 4]],
    ['arange-5', [5]],
    ['arange-3x1', [3, 1]],
    ['arange-2x28x28', [2, 28, 28]],
  ];

  for (const [name, shape] of cases) {
    it(`writes the same bytes as numpy.save for shape (${shape})`, async () => {
      const count = shape.reduce((a, b) => a * b, 1);
      const out = join(tempDir(), `${name}.npy`);
      await writeNpy(out, reference(count), shape);
      expect(Buffer.compare(readFileSync(out), readFileSync(join(FIXTURES, `${name}.npy`)))).toBe(0);
    });

    it(`reads numpy's file for shape (${shape})`, () => {
      const { data, shape: read } = readNpy(join(FIXTURES, `${name}.npy`));
      expect(read).toEqual(shape);
      expect(Array.from(data)).toEqual(Array.from(reference(data.length)));
    });
  }

  it('round-trips values exactly, stores them little-endian after the header', async () => {
    const dir = tempDir();
    const values = Float32Array.from([0, -0.5, 1e-30, 3.4e38, -7.25, Math.PI]);
    const path = join(dir, 'v.npy');
    await writeNpy(path, values, [2, 3]);
    const bytes = readFileSync(path);
    const start = npyHeader([2, 3]).length;
    for (let i = 0; i < values.length; i++) expect(bytes.readFloatLE(start + 4 * i)).toBe(values[i]);
    expect(readNpy(path)).toEqual({ data: values, shape: [2, 3] });
    expect(readdirSync(dir)).toEqual(['v.npy']);
  });

  it('refuses a shape that does not match the data', async () => {
    await expect(writeNpy(join(tempDir(), 'x.npy'), new Float32Array(5), [2, 3])).rejects.toThrow(RangeError);
  });

  it('stops with a UserError naming the file for missing, foreign and truncated files', () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.npy');
    expect(() => readNpy(missing)).toThrow(UserError);
    expect(() => readNpy(missing)).toThrow(missing);

    const text = join(dir, 'text.npy');
    writeFileSync(text, 'hello, not numpy');
    expect(() => readNpy(text)).toThrow(new RegExp(`${text}.*magic`));

    const f8 = join(dir, 'f8.npy');
    const header = Buffer.from(npyHeader([1]))
      .toString('latin1')
      .replace('<f4', '<f8');
    writeFileSync(f8, Buffer.concat([Buffer.from(header, 'latin1'), Buffer.alloc(8)]));
    expect(() => readNpy(f8)).toThrow(new RegExp(`${f8}.*'<f8'`));

    const cut = join(dir, 'cut.npy');
    writeFileSync(cut, readFileSync(join(FIXTURES, 'arange-2x3x4.npy')).subarray(0, 150));
    expect(() => readNpy(cut)).toThrow(new RegExp(`${cut}.*96 data bytes, file has 22`));
  });
});
