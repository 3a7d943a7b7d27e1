/**
 * Backend choice: tensorflow → wasm → cpu, the first that loads; a forced backend that cannot load
 * is one clear error. Each case runs in its own process, since a process chooses once.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', 'bin', 'oc-explain.js');

async function info(args: string[], env: Record<string, string> = {}) {
  const environment = { ...process.env, ...env };
  if (!('OC_EXPLAIN_BACKEND' in env)) delete environment.OC_EXPLAIN_BACKEND;
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args, 'info', '--json'], { env: environment });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function nativeInstalled(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      return true;
    } catch {
      // not there
    }
  }
  return false;
}

describe('backend choice', () => {
  it('takes the native backend when it loads, else falls back to wasm', async () => {
    const { code, stdout } = await info([]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).backend).toBe((await nativeInstalled()) ? 'tensorflow' : 'wasm');
  });

  it('--backend forces cpu, and so does OC_EXPLAIN_BACKEND', async () => {
    expect(JSON.parse((await info(['--backend', 'cpu'])).stdout).backend).toBe('cpu');
    expect(JSON.parse((await info([], { OC_EXPLAIN_BACKEND: 'cpu' })).stdout).backend).toBe('cpu');
    expect(JSON.parse((await info(['--backend', 'wasm'], { OC_EXPLAIN_BACKEND: 'cpu' })).stdout).backend).toBe('wasm');
  });

  it('a forced backend that cannot load is one clear error', async () => {
    if (await nativeInstalled()) return;
    const { code, stderr } = await info(['--backend', 'tensorflow']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/backend 'tensorflow' could not be loaded: install @tensorflow\/tfjs-node-gpu/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown backend name lists the allowed ones', async () => {
    const { code, stderr } = await info(['--backend', 'metal']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown backend 'metal'; allowed: tensorflow, wasm, cpu/);
    const fromEnv = await info([], { OC_EXPLAIN_BACKEND: 'metal' });
    expect(fromEnv.stderr).toMatch(/OC_EXPLAIN_BACKEND: unknown backend 'metal'/);
  });
});
