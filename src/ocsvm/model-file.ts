/**
 * The saved form of a fitted one-class SVM: versioned JSON. Float32 support vectors and float64
 * coefficients survive the text round trip exactly (shortest round-trip number formatting).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { writeFileAtomicSync } from '../io/atomic-write.ts';
import { KERNELS, type KernelName } from './kernel.ts';

export const MODEL_FORMAT = 'oc-explain/one-class-svm';
export const MODEL_VERSION = 1;

/** What a fit leaves: the solver's solution and the settings it was found with. */
export interface FittedState {
  kernel: KernelName;
  gamma: number;
  nu: number;
  tol: number;
  rho: number;
  nTrain: number;
  d: number;
  supportIndices: Int32Array;
  dualCoef: Float64Array;
  /** nSupport × d values, row-major */
  supportVectors: Float32Array;
  iterations: number;
  converged: boolean;
  fitSeconds: number;
}

type ArrayField = 'supportIndices' | 'dualCoef' | 'supportVectors';

/** The fitted state as JSON: its typed arrays as plain arrays, with format, version and nSupport. */
export type ModelJSON = { format: typeof MODEL_FORMAT; version: number; nSupport: number } & Omit<
  FittedState,
  ArrayField
> & { [K in ArrayField]: number[] };

export function stateToJSON(s: FittedState): ModelJSON {
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    ...s,
    nSupport: s.supportIndices.length,
    supportIndices: Array.from(s.supportIndices),
    dualCoef: Array.from(s.dualCoef),
    supportVectors: Array.from(s.supportVectors),
  };
}

/** Check every field; `source` names the file (or 'JSON') in the error. */
export function stateFromJSON(obj: unknown, source: string): FittedState {
  const bad = (what: string): never => {
    throw new UserError(`${source}: not a valid one-class SVM model file (${what})`);
  };
  if (typeof obj !== 'object' || obj === null) bad('not a JSON object');
  const m = obj as Partial<ModelJSON>;
  if (m.format !== MODEL_FORMAT) bad(`format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`);
  if (m.version !== MODEL_VERSION)
    throw new UserError(
      `${source}: model file version ${String(m.version)} is not supported; this program reads version ${MODEL_VERSION}`,
    );
  if (!KERNELS.includes(m.kernel as KernelName)) bad(`unknown kernel ${JSON.stringify(m.kernel)}`);
  const num = (v: unknown, what: string): number =>
    typeof v === 'number' && Number.isFinite(v) ? v : bad(`${what} is not a finite number`);
  const gamma = num(m.gamma, 'gamma');
  if (gamma <= 0) bad('gamma is not positive');
  const nu = num(m.nu, 'nu');
  if (!(nu > 0 && nu <= 1)) bad('nu is not in (0, 1]');
  const tol = num(m.tol, 'tol');
  if (!(tol > 0)) bad('tol is not positive');
  const nTrain = num(m.nTrain, 'nTrain');
  const d = num(m.d, 'd');
  const nSupport = num(m.nSupport, 'nSupport');
  if (!Number.isInteger(d) || d < 1 || !Number.isInteger(nSupport) || nSupport < 1)
    bad('d or nSupport is not a positive integer');
  const arr = (v: unknown, len: number, what: string): number[] => {
    if (!Array.isArray(v) || v.length !== len) bad(`${what} does not have ${len} entries`);
    for (const e of v as unknown[]) if (typeof e !== 'number' || !Number.isFinite(e)) bad(`${what} holds a non-number`);
    return v as number[];
  };
  return {
    kernel: m.kernel as KernelName,
    gamma,
    nu,
    tol,
    rho: num(m.rho, 'rho'),
    nTrain,
    d,
    supportIndices: Int32Array.from(arr(m.supportIndices, nSupport, 'supportIndices')),
    dualCoef: Float64Array.from(arr(m.dualCoef, nSupport, 'dualCoef')),
    supportVectors: Float32Array.from(arr(m.supportVectors, nSupport * d, 'supportVectors')),
    iterations: num(m.iterations, 'iterations'),
    converged: m.converged !== false,
    fitSeconds: num(m.fitSeconds, 'fitSeconds'),
  };
}

/** Write atomically: a temporary file beside it, then rename. */
export function writeModelFile(path: string, json: ModelJSON): void {
  try {
    writeFileAtomicSync(path, JSON.stringify(json));
  } catch (e) {
    throw new UserError(`cannot write model file ${path}: ${(e as Error).message}`);
  }
}

export function readModelFile(path: string): FittedState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read model file ${path}: ${(e as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    throw new UserError(`${path}: not a valid one-class SVM model file (corrupt JSON)`);
  }
  return stateFromJSON(obj, path);
}
