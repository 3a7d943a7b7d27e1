/**
 * Writes that never leave a half-written result: build under a temporary name in the same folder,
 * then rename into place (a rename within one file system is atomic).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The temporary name used for `path` by this process. */
export function tempNameFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

/** Write `data` to `path` via `path.<pid>.tmp` + rename; parent folders are created as needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempNameFor(path);
  await mkdir(dirname(path), { recursive: true });
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Build a whole folder: `fill` writes into a fresh temporary folder beside `dir`, which then replaces
 * `dir` (an existing `dir` is moved aside first and removed only once the new one is in place).
 * If `fill` throws, the temporary folder is removed and `dir` stays as it was.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
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
