import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors.ts';
import { describe, expect, it } from 'vitest';
import { tempNameFor, writeFileAtomic } from '../src/io/atomic-write.ts';
import { writeDirAtomic } from '../src/io/output-folder.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'io-atomic-'));

describe('writeFileAtomic', () => {
  it('uses path.<pid>.tmp as the temporary name', () => {
    expect(tempNameFor('/a/b.json')).toBe(`/a/b.json.${process.pid}.tmp`);
  });

  it('writes text and bytes, creates parent folders, replaces old content, leaves only the file', async () => {
    const dir = tempDir();
    const path = join(dir, 'deep', 'er', 'f.bin');
    await writeFileAtomic(path, 'first version, longer than the second');
    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    expect(Array.from(readFileSync(path))).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'deep', 'er'))).toEqual(['f.bin']);
  });

  it('removes its temporary file when the final rename fails, and leaves the target alone', async () => {
    const dir = tempDir();
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'keep');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('keep');
  });
});

describe('output targets that cannot be written', () => {
  it('a folder where a file should go, or a file where a folder should be, is one UserError and writes nothing', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'folder'));
    writeFileSync(join(parent, 'file'), 'f');
    await expect(writeFileAtomic(join(parent, 'folder'), 'x')).rejects.toThrow(
      /cannot write .*folder: it is a folder; give a file name/,
    );
    await expect(writeFileAtomic(join(parent, 'file', 'deeper', 'x.html'), 'x')).rejects.toThrow(
      /file is a file, not a folder/,
    );
    await expect(writeDirAtomic(join(parent, 'file', 'run'), 'run', async () => undefined)).rejects.toThrow(UserError);
    expect(readdirSync(parent).sort()).toEqual(['file', 'folder']);
    expect(readdirSync(join(parent, 'folder'))).toEqual([]);
  });
});
