/**
 * The tensor runtime: the one place that picks and initialises the tfjs backend. Everything else
 * imports `tf` from here, so that no tensor is created before the backend is chosen.
 */
import { tf } from './tf.ts';
import { UserError } from '../errors.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

export { tf };

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** Native bindings, best first: the CUDA build, then the CPU build. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

let active: BackendName | null = null;

async function loadNative(): Promise<boolean> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return true;
    } catch {
      // not installed, or its libtensorflow is missing: try the next one
    }
  }
  return false;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow') return loadNative();
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
  } catch {
    return false;
  }
  return true;
}

export function parseBackendName(value: string, where: string): BackendName {
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new UserError(`${where}: unknown backend '${value}'; allowed: ${BACKENDS.join(', ')}`);
}

/**
 * Choose the backend: a forced one (option or OC_EXPLAIN_BACKEND) must load or it is an error;
 * otherwise the first of tensorflow → wasm → cpu that loads. Idempotent.
 */
export async function initRuntime(options: { backend?: string; quiet?: boolean } = {}): Promise<BackendName> {
  const forcedRaw = options.backend ?? process.env.OC_EXPLAIN_BACKEND;
  const forced = forcedRaw ? parseBackendName(forcedRaw, options.backend ? '--backend' : 'OC_EXPLAIN_BACKEND') : null;
  if (active && (!forced || forced === active)) return active;
  tf.enableProdMode();
  // the project's wasm kernels (conv gradients, fast transposed matMul, …)
  registerWasmKernels();
  const order = forced ? [forced] : BACKENDS;
  for (const name of order) {
    if (await activate(name)) {
      active = name;
      if (!options.quiet) process.stderr.write(`oc-explain: tfjs backend ${name}\n`);
      return name;
    }
  }
  throw new UserError(
    forced === 'tensorflow'
      ? `backend 'tensorflow' could not be loaded: install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (they need libtensorflow), or choose wasm or cpu`
      : `backend '${forced ?? 'any'}' could not be initialised; allowed: ${BACKENDS.join(', ')}`,
  );
}

export function activeBackend(): BackendName | null {
  return active;
}
