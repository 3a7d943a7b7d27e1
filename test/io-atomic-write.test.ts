import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../src/errors.ts';
import { describe, expect, it } from 'vitest';
import { tempNameFor, writeDirAtomic, writeFileAtomic } from '../src/io/atomic-write.ts';

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
    await expect(writeDirAtomic(join(parent, 'file', 'run'), 'm', async () => undefined)).rejects.toThrow(UserError);
    expect(readdirSync(parent).sort()).toEqual(['file', 'folder']);
    expect(readdirSync(join(parent, 'folder'))).toEqual([]);
  });
});

describe('writeDirAtomic', () => {
  it('builds the folder under a temporary name beside it, then moves it into place', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    let seenTmp = '';
    await writeDirAtomic(dir, 'a.txt', async (tmp) => {
      seenTmp = tmp;
      expect(readdirSync(parent)).toEqual([`run.${process.pid}.tmp`]);
      await writeFile(join(tmp, 'a.txt'), 'A');
    });
    expect(seenTmp).toBe(join(parent, `run.${process.pid}.tmp`));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('A');
  });

  it('replaces an existing folder completely, leaving no old copy behind', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stale.txt'), 'old');
    writeFileSync(join(dir, 'fresh.txt'), 'earlier output');
    await writeDirAtomic(dir, 'fresh.txt', (tmp) => writeFile(join(tmp, 'fresh.txt'), 'new'));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir)).toEqual(['fresh.txt']);
    expect(readFileSync(join(dir, 'fresh.txt'), 'utf8')).toBe('new');
  });

  it('never replaces a folder that is not an earlier output (no marker): the user keeps it untouched', async () => {
    const parent = tempDir();
    const dir = join(parent, 'photos');
    mkdirSync(dir);
    writeFileSync(join(dir, 'holiday.jpg'), 'precious');
    let filled = false;
    await expect(
      writeDirAtomic(dir, 'config.json', async () => {
        filled = true;
      }),
    ).rejects.toThrow(/photos already exists and is not an earlier oc-explain output \(it has no config.json\)/);
    expect(filled).toBe(false);
    expect(readdirSync(parent)).toEqual(['photos']);
    expect(readFileSync(join(dir, 'holiday.jpg'), 'utf8')).toBe('precious');
  });

  it('replaces an empty folder, and refuses a file in the way', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'empty'));
    await writeDirAtomic(join(parent, 'empty'), 'm', (tmp) => writeFile(join(tmp, 'm'), 'x'));
    expect(readdirSync(join(parent, 'empty'))).toEqual(['m']);
    writeFileSync(join(parent, 'file'), 'f');
    await expect(writeDirAtomic(join(parent, 'file'), 'm', async () => undefined)).rejects.toThrow(/is not a folder/);
  });

  it('on failure removes the temporary folder and keeps the existing one untouched', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'kept');
    await expect(
      writeDirAtomic(dir, 'keep.txt', async (tmp) => {
        await writeFile(join(tmp, 'half.txt'), 'half');
        throw new Error('fill failed');
      }),
    ).rejects.toThrow('fill failed');
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('kept');
  });

  it('on failure with no existing folder leaves nothing at all', async () => {
    const parent = tempDir();
    await expect(
      writeDirAtomic(join(parent, 'run'), 'm', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(readdirSync(parent)).toEqual([]);
  });
});
