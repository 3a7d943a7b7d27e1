/**
 * The output policy of every command that writes a folder (src/io/output-folder.ts): only folders
 * the tool wrote (marker of the same format) or empty ones are replaced, the output is built under
 * a temporary name that is created before the work, paths are normalised, and leftovers of dead
 * processes are cleaned.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import {
  MARKER_FILE,
  checkOutputFolder,
  cleanStaleTemporaries,
  readMarker,
  tempNameFor,
  writeDirAtomic,
} from '../src/io/output-folder.ts';
import { toolVersion } from '../src/io/tool-version.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'io-output-'));

/** The pid of a process that has ended (so no process runs under it now, barring reuse). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('writeDirAtomic', () => {
  it('builds the folder under a temporary name beside it, created with the marker before the work, then moves it into place', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    let seenTmp = '';
    await writeDirAtomic(dir, 'run', async (tmp) => {
      seenTmp = tmp;
      expect(readdirSync(parent)).toEqual([`run.${process.pid}.tmp`]);
      expect(readdirSync(tmp)).toEqual([MARKER_FILE]);
      await writeFile(join(tmp, 'a.txt'), 'A');
    });
    expect(seenTmp).toBe(join(parent, `run.${process.pid}.tmp`));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir).sort()).toEqual(['a.txt', MARKER_FILE]);
    expect(JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8'))).toEqual({
      tool: 'oc-explain',
      format: 'run',
      version: toolVersion(),
    });
    expect(toolVersion()).toBe(
      JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).version,
    );
  });

  it('replaces an earlier output of the same format completely, leaving no old copy behind', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    await writeDirAtomic(dir, 'run', (tmp) => writeFile(join(tmp, 'stale.txt'), 'old'));
    await writeDirAtomic(dir, 'run', (tmp) => writeFile(join(tmp, 'fresh.txt'), 'new'));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir).sort()).toEqual(['fresh.txt', MARKER_FILE]);
  });

  it("never replaces a folder the tool did not write, even with a run's file names in it: the user keeps every file", async () => {
    const parent = tempDir();
    const dir = join(parent, 'project');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'config.json'), '{}');
    writeFileSync(join(dir, 'src', 'a.py'), 'x');
    let filled = false;
    await expect(
      writeDirAtomic(dir, 'run', async () => {
        filled = true;
      }),
    ).rejects.toThrow(
      `${dir} is not empty and was not written by oc-explain (it has no ${MARKER_FILE}); refusing to replace it`,
    );
    expect(filled).toBe(false);
    expect(readdirSync(parent)).toEqual(['project']);
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'src']);
    expect(readFileSync(join(dir, 'src', 'a.py'), 'utf8')).toBe('x');
  });

  it('refuses an output of another kind (explanations written over a run) and a marker of another tool', async () => {
    const parent = tempDir();
    const run = join(parent, 'run');
    await writeDirAtomic(run, 'run', (tmp) => writeFile(join(tmp, 'config.json'), '{}'));
    await expect(writeDirAtomic(run, 'explanations', async () => undefined)).rejects.toThrow(
      /holds a run written by oc-explain, not outlier explanations; refusing to replace it/,
    );
    const other = join(parent, 'other');
    mkdirSync(other);
    writeFileSync(join(other, MARKER_FILE), JSON.stringify({ tool: 'not-us', format: 'run', version: '1' }));
    expect(readMarker(other)).toBeNull();
    await expect(writeDirAtomic(other, 'run', async () => undefined)).rejects.toThrow(/was not written by oc-explain/);
    expect(readdirSync(run).sort()).toEqual(['config.json', MARKER_FILE]);
  });

  it('replaces an empty folder; refuses a file and a symbolic link in the way', async () => {
    const parent = tempDir();
    mkdirSync(join(parent, 'empty'));
    await writeDirAtomic(join(parent, 'empty'), 'run', (tmp) => writeFile(join(tmp, 'm'), 'x'));
    expect(readdirSync(join(parent, 'empty')).sort()).toEqual(['m', MARKER_FILE]);
    writeFileSync(join(parent, 'file'), 'f');
    await expect(writeDirAtomic(join(parent, 'file'), 'run', async () => undefined)).rejects.toThrow(/is not a folder/);
    symlinkSync(join(parent, 'empty'), join(parent, 'link'));
    await expect(writeDirAtomic(join(parent, 'link'), 'run', async () => undefined)).rejects.toThrow(
      /is a symbolic link/,
    );
    expect(readFileSync(join(parent, 'file'), 'utf8')).toBe('f');
  });

  it('on failure removes the temporary folder and the folders made for it, and keeps the existing output', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    await writeDirAtomic(dir, 'run', (tmp) => writeFile(join(tmp, 'keep.txt'), 'kept'));
    await expect(
      writeDirAtomic(dir, 'run', async (tmp) => {
        await writeFile(join(tmp, 'half.txt'), 'half');
        throw new Error('fill failed');
      }),
    ).rejects.toThrow('fill failed');
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('kept');
    await expect(
      writeDirAtomic(join(parent, 'new', 'deeper', 'run'), 'run', async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    expect(readdirSync(parent)).toEqual(['run']);
  });

  it('finds an unwritable place before the work (one UserError, nothing made)', async () => {
    let filled = false;
    const error = await writeDirAtomic('/sys/oc-explain-test/run', 'run', async () => {
      filled = true;
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^cannot write \/sys\/oc-explain-test\/run: (operation not permitted|permission denied|read-only file system)$/,
    );
    expect(filled).toBe(false);
    expect(existsSync('/sys/oc-explain-test')).toBe(false);
  });
});

describe('output paths', () => {
  it('a trailing slash, a relative path and ./ name the same folder', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    await writeDirAtomic(`${dir}/`, 'run', (tmp) => writeFile(join(tmp, 'one'), '1'));
    expect(readdirSync(parent)).toEqual(['run']);
    const rel = relative(process.cwd(), dir);
    await writeDirAtomic(`./${rel}/`, 'run', (tmp) => writeFile(join(tmp, 'two'), '2'));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(dir).sort()).toEqual([MARKER_FILE, 'two']);
  });

  it('refuses the current folder, a folder above it, and a folder holding an input', () => {
    expect(() => checkOutputFolder('.', 'run')).toThrow(
      '--out .: that is the current folder; name a new folder for the output',
    );
    expect(() => checkOutputFolder('..', 'run')).toThrow('--out ..: that is the current folder or one above it');
    expect(() => checkOutputFolder('', 'run')).toThrow('--out: give a name');
    const parent = tempDir();
    expect(() => checkOutputFolder(parent, 'run', { inputs: [join(parent, 'data', 'a.csv')] })).toThrow(
      `--out ${parent} would replace ${join(parent, 'data', 'a.csv')}, which this command reads; choose another place`,
    );
    expect(checkOutputFolder(join(parent, 'out'), 'run', { inputs: [join(parent, 'data')] })).toBe(join(parent, 'out'));
  });
});

describe('leftovers of processes that no longer run', () => {
  it('removes their temporary folders (ours: with the marker), keeps those of live processes and anything unmarked', async () => {
    const parent = tempDir();
    const dir = join(parent, 'run');
    const dead = deadPid();
    for (const name of [`run.${dead}.tmp`, `run.${process.ppid}.tmp`, `run.${dead + 1e6}.old`]) {
      mkdirSync(join(parent, name));
      writeFileSync(
        join(parent, name, MARKER_FILE),
        JSON.stringify({ tool: 'oc-explain', format: 'run', version: '0' }),
      );
    }
    mkdirSync(join(parent, `run.${dead}9.tmp`)); // no marker: not provably ours
    mkdirSync(join(parent, `other.${dead}.tmp`));
    writeFileSync(join(parent, `other.${dead}.tmp`, MARKER_FILE), '{"tool":"oc-explain","format":"run"}');
    await writeDirAtomic(dir, 'run', async () => undefined);
    expect(readdirSync(parent).sort()).toEqual(
      ['run', `run.${process.ppid}.tmp`, `run.${dead}9.tmp`, `other.${dead}.tmp`].sort(),
    );
  });

  it('puts back a finished output that a killed process had moved aside, instead of deleting it', () => {
    const parent = tempDir();
    const old = join(parent, `run.${deadPid()}.old`);
    mkdirSync(old);
    writeFileSync(join(old, MARKER_FILE), JSON.stringify({ tool: 'oc-explain', format: 'run', version: '0' }));
    writeFileSync(join(old, 'scores.csv'), 'index,label,decision\n');
    cleanStaleTemporaries(join(parent, 'run'));
    expect(readdirSync(parent)).toEqual(['run']);
    expect(readdirSync(join(parent, 'run')).sort()).toEqual([MARKER_FILE, 'scores.csv']);
  });

  it('names its own temporary folder after its process id', () => {
    expect(tempNameFor('/a/run')).toBe(`/a/run.${process.pid}.tmp`);
  });
});
