/**
 * Files that are never half-written: written under a temporary name in the same folder, then
 * renamed into place (a rename within one file system is atomic). Folders: see output-folder.ts.
 */
import { existsSync, readSync, openSync, closeSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.ts';
import { describeFsError } from './fs-error.ts';
import { assertParentFolder, normaliseOutputPath, tempNameFor } from './output-folder.ts';

export { tempNameFor };

/** Write `data` to `path` via `path.<pid>.tmp` + rename; parent folders are created as needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  assertFileTarget(path);
  const tmp = tempNameFor(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new UserError(`cannot write ${path}: ${describeFsError(e)}`);
  }
}

/** The same, synchronously (for callers such as OneClassSVM.save that are synchronous). */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const tmp = tempNameFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A file may be written at `path`: it is not a folder, and its parent is (or can be made) a folder. Call it before long work. */
function assertFileTarget(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`cannot write ${path}: it is a folder; give a file name`);
  assertParentFolder(path);
}

/** The first `bytes` bytes of a file as text. */
function head(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Check, before the work, that the output file `given` can be written and that an existing file
 * there is one the tool wrote (`isOurs` of its first 4 KB) or empty; returns the absolute path.
 * Writability is proven by creating (and removing) the temporary file beside it.
 */
export function checkOutputFile(
  given: string,
  what: string,
  isOurs: (head: string) => boolean,
  options: { option?: string; inputs?: readonly string[] } = {},
): string {
  const path = normaliseOutputPath(given, options);
  assertFileTarget(path);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat && stat.size > 0 && !isOurs(head(path, 4096)))
    throw new UserError(
      `${given} exists and is not ${what} written by oc-explain; refusing to replace it: choose another file name`,
    );
  let parent = dirname(path);
  while (!existsSync(parent)) parent = dirname(parent);
  const probe = tempNameFor(`${parent}/.oc-explain-probe`);
  try {
    closeSync(openSync(probe, 'wx'));
    rmSync(probe);
  } catch (e) {
    throw new UserError(`cannot write ${given}: ${describeFsError(e)}`);
  }
  return path;
}
