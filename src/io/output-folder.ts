/**
 * The one output policy of every command that writes a folder:
 *  - the tool replaces only a folder that it wrote itself, proven by a marker file naming the tool,
 *    the kind of output (format) and the tool's version; any other non-empty folder is refused;
 *  - the path is normalised (a trailing slash, `.`, relative paths) and may not be, or contain, the
 *    current folder or an input the command reads;
 *  - the output is built under a temporary name beside it (created first, which proves the place is
 *    writable before any work), then renamed into place; on failure the temporary folder goes;
 *  - temporary folders of processes that no longer run are removed, and a finished output that a
 *    killed process had moved aside is put back.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.ts';
import { describeFsError, isWriteFailure } from './fs-error.ts';
import { registerTemporary, releaseTemporary } from './temporaries.ts';
import { TOOL_NAME, toolVersion } from './tool-version.ts';

export const MARKER_FILE = 'oc-explain-output.json';

/** What a folder written by the tool holds. */
export type OutputFormat =
  | 'run'
  | 'scores'
  | 'explanations'
  | 'evaluation'
  | 'clusters'
  | 'classifier-explanations'
  | 'feature-network'
  | 'relevance-maps'
  | 'demo'
  | 'benchmark';

export interface OutputMarker {
  tool: typeof TOOL_NAME;
  format: OutputFormat;
  version: string;
}

export interface OutputFolderOptions {
  /** the option that named the folder, for messages (default --out) */
  option?: string;
  /** files and folders the command reads: the output may not be or contain any of them */
  inputs?: readonly string[];
}

/** The marker of `dir`, or null when it has none (or one that is not ours). */
export function readMarker(dir: string): OutputMarker | null {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as OutputMarker;
    return marker?.tool === TOOL_NAME && typeof marker.format === 'string' ? marker : null;
  } catch {
    return null;
  }
}

function writeMarker(dir: string, format: OutputFormat): void {
  const marker: OutputMarker = { tool: TOOL_NAME, format, version: toolVersion() };
  writeFileSync(join(dir, MARKER_FILE), JSON.stringify(marker) + '\n');
}

/** Is `path` the folder `folder` or somewhere below it? (both absolute) */
function isInside(path: string, folder: string): boolean {
  const r = relative(folder, path);
  return !(r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r));
}

/** The nearest part of `path` that exists must be a folder (else nothing can be created below it). */
export function assertParentFolder(path: string): void {
  let parent = dirname(path);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  if (existsSync(parent) && !statSync(parent).isDirectory())
    throw new UserError(`cannot write ${path}: ${parent} is a file, not a folder`);
}

/** `given` as an absolute path, checked to be a usable place for an output (file or folder). */
export function normaliseOutputPath(given: string, options: OutputFolderOptions = {}): string {
  const option = options.option ?? '--out';
  if (given.trim() === '') throw new UserError(`${option}: give a name (got an empty one)`);
  const path = resolve(given);
  if (isInside(process.cwd(), path))
    throw new UserError(
      `${option} ${given}: that is the current folder${path === process.cwd() ? '' : ' or one above it'}; name a new folder for the output`,
    );
  for (const input of options.inputs ?? []) {
    if (isInside(resolve(input), path))
      throw new UserError(`${option} ${given} would replace ${input}, which this command reads; choose another place`);
  }
  assertParentFolder(path);
  return path;
}

const FORMAT_NAMES: Record<OutputFormat, string> = {
  run: 'a run',
  scores: 'scores',
  evaluation: 'a pixel-flipping evaluation',
  explanations: 'outlier explanations',
  clusters: 'cluster explanations',
  'classifier-explanations': 'classifier explanations',
  'feature-network': 'a feature network',
  'relevance-maps': 'relevance maps',
  demo: 'a demo',
  benchmark: 'an anomaly benchmark',
};

/**
 * May `dir` (absolute) become a `format` output? Yes when it does not exist, is empty, or holds the
 * marker of an earlier output of the same format; anything else is the user's and is refused.
 */
function assertReplaceable(dir: string, given: string, format: OutputFormat): void {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isSymbolicLink())
    throw new UserError(`${given} is a symbolic link; give the folder itself, or a new name, as the output`);
  if (!stat.isDirectory()) throw new UserError(`${given} exists and is not a folder; choose another output folder`);
  if (readdirSync(dir).length === 0) return;
  const marker = readMarker(dir);
  if (!marker)
    throw new UserError(
      `${given} is not empty and was not written by oc-explain (it has no ${MARKER_FILE}); refusing to replace it: choose a new folder or empty this one`,
    );
  if (marker.format !== format)
    throw new UserError(
      `${given} holds ${FORMAT_NAMES[marker.format] ?? marker.format} written by oc-explain, not ${FORMAT_NAMES[format]}; refusing to replace it: choose another folder`,
    );
}

/**
 * Check everything about an output folder that can be checked before the work (call it before
 * long work so that a wrong --out fails at once); returns the absolute path.
 */
export function checkOutputFolder(given: string, format: OutputFormat, options: OutputFolderOptions = {}): string {
  const dir = normaliseOutputPath(given, options);
  assertReplaceable(dir, given, format);
  return dir;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Leftovers of `path` by processes that no longer run: `path.<pid>.tmp` and `path.<pid>.old`. */
function staleLeftovers(path: string): Array<{ path: string; kind: 'tmp' | 'old' }> {
  const pattern = /^(.*)\.(\d+)\.(tmp|old)$/;
  const name = basename(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names.flatMap((entry) => {
    const m = pattern.exec(entry);
    if (!m || m[1] !== name) return [];
    const pid = Number(m[2]);
    return pid === process.pid || processRuns(pid)
      ? []
      : [{ path: join(dirname(path), entry), kind: m[3] as 'tmp' | 'old' }];
  });
}

/**
 * Remove the temporary folders that dead processes left for `dir` (only folders holding our
 * marker: ours beyond doubt); a finished output moved aside as `.old` by a process killed before
 * it could put the new one in place is put back when `dir` is missing.
 */
export function cleanStaleTemporaries(dir: string): void {
  for (const leftover of staleLeftovers(dir)) {
    if (!statSync(leftover.path, { throwIfNoEntry: false })?.isDirectory() || !readMarker(leftover.path)) continue;
    if (leftover.kind === 'old' && !existsSync(dir)) renameSync(leftover.path, dir);
    else rmSync(leftover.path, { recursive: true, force: true });
  }
}

/** The temporary name used for `path` by this process. */
export function tempNameFor(path: string): string {
  return `${path}.${process.pid}.tmp`;
}

function asUserError(e: unknown, given: string): unknown {
  return isWriteFailure(e) ? new UserError(`cannot write ${given}: ${describeFsError(e)}`) : e;
}

/**
 * Build the folder `given` as a `format` output: `fill` writes into a fresh temporary folder
 * beside it (created before `fill` runs, with the marker already inside), which then replaces it —
 * an existing output is moved aside first and removed only once the new one is in place. If `fill`
 * throws, everything made here is removed and `given` stays as it was.
 */
export async function writeDirAtomic<T>(
  given: string,
  format: OutputFormat,
  fill: (tmpDir: string) => Promise<T>,
  options: OutputFolderOptions = {},
): Promise<T> {
  const dir = checkOutputFolder(given, format, options);
  cleanStaleTemporaries(dir);
  const tmp = tempNameFor(dir);
  const madeParents: string[] = [];
  const temporaries: string[] = [];
  const track = (path: string) => {
    registerTemporary(path);
    temporaries.push(path);
  };
  try {
    // the first folder that is missing: a failure takes back every folder made for the output
    const first = firstMissing(dirname(dir));
    if (first) {
      track(first);
      madeParents.push(first);
      await mkdir(dirname(dir), { recursive: true });
    }
    track(tmp);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    writeMarker(tmp, format);
    const result = await fill(tmp);
    assertReplaceable(dir, given, format); // the place may have changed during the work
    await moveIntoPlace(tmp, dir);
    madeParents.length = 0;
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    for (const made of madeParents) await rm(made, { recursive: true, force: true });
    throw asUserError(e, given);
  } finally {
    for (const path of temporaries) releaseTemporary(path);
  }
}

/** The first folder of `path` (absolute) that does not exist, or null when it exists. */
function firstMissing(path: string): string | null {
  if (existsSync(path)) return null;
  let first = path;
  while (!existsSync(dirname(first))) first = dirname(first);
  return first;
}

/**
 * A folder the tool fills piece by piece, each piece written atomically (the demo's: a run, its
 * explanations, a report), created with the marker when new or empty; an earlier one of the same
 * format is kept. Until `work` reports its first finished piece, a folder made here is temporary:
 * a failure or a stop takes it back, so nothing is left of a job that finished nothing.
 */
export async function fillOutputFolder<T>(
  given: string,
  format: OutputFormat,
  work: (dir: string, pieceDone: () => void) => Promise<T>,
): Promise<T> {
  const dir = checkOutputFolder(given, format);
  const made = firstMissing(dir);
  const marked = readMarker(dir) !== null;
  let pending = made !== null;
  if (made) registerTemporary(made);
  const settle = () => {
    if (pending && made) releaseTemporary(made);
    pending = false;
  };
  try {
    await mkdir(dir, { recursive: true });
    if (!marked) writeMarker(dir, format);
    return await work(dir, settle);
  } catch (e) {
    if (pending && made) await rm(made, { recursive: true, force: true });
    else if (!marked && readdirSync(dir).length === 1) await rm(join(dir, MARKER_FILE), { force: true });
    throw asUserError(e, given);
  } finally {
    settle();
  }
}

/** Replace `dir` by `tmp`: the old folder aside, the new one in, the old one removed. */
async function moveIntoPlace(tmp: string, dir: string): Promise<void> {
  const old = `${dir}.${process.pid}.old`;
  let movedAside = false;
  try {
    await rename(dir, old);
    movedAside = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    await rename(tmp, dir);
  } catch (e) {
    if (movedAside) await rename(old, dir);
    throw e;
  }
  if (movedAside) await rm(old, { recursive: true, force: true });
}
