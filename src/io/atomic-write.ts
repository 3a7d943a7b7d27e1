/**
 * Writes that never leave a half-written result: build under a temporary name in the same folder,
 * then rename into place (a rename within one file system is atomic).
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../errors.ts';
import { describeFsError } from './fs-error.ts';

/** The temporary name used for `path` by this process. */
export function tempNameFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

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

/** The nearest part of `path` that exists must be a folder (else nothing can be created below it). */
function assertParentFolder(path: string): void {
  let parent = dirname(path);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (existsSync(parent) && !statSync(parent).isDirectory())
    throw new UserError(`cannot write ${path}: ${parent} is a file, not a folder`);
}

/** A file may be written at `path`: it is not a folder, and its parent is (or can be made) a folder. Call it before long work. */
export function assertFileTarget(path: string): void {
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UserError(`cannot write ${path}: it is a folder; give a file name`);
  assertParentFolder(path);
}

/**
 * A folder we may replace: it does not exist, is empty, or is an earlier output of ours (it holds
 * `marker`, e.g. a run's config.json). Anything else is the user's and is never deleted. Call it
 * before long work, so that a wrong --out fails at once.
 */
export function assertReplaceable(dir: string, marker: string): void {
  assertParentFolder(dir);
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory())
    throw new UserError(`${dir} exists and is not a folder; choose another output folder`);
  if (readdirSync(dir).length === 0 || existsSync(join(dir, marker))) return;
  throw new UserError(
    `${dir} already exists and is not an earlier oc-explain output (it has no ${marker}); refusing to replace it: choose a new folder or remove this one`,
  );
}

/**
 * Build a whole folder: `fill` writes into a fresh temporary folder beside `dir`, which then replaces
 * `dir` (an existing `dir` is moved aside first and removed only once the new one is in place).
 * Only an earlier output — one that holds `marker` — or an empty folder is ever replaced.
 * If `fill` throws, the temporary folder is removed and `dir` stays as it was.
 */
export async function writeDirAtomic(
  dir: string,
  marker: string,
  fill: (tmpDir: string) => Promise<void>,
): Promise<void> {
  assertReplaceable(dir, marker);
  const tmp = tempNameFor(dir);
  const old = `${dir}.${process.pid}.old`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let movedAside = false;
  try {
    await rename(dir, old);
    movedAside = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  try {
    await rename(tmp, dir);
  } catch (e) {
    if (movedAside) await rename(old, dir);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (movedAside) await rm(old, { recursive: true, force: true });
}
