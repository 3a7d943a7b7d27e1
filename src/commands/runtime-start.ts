/**
 * What every command that computes does once its options are checked: load the tensor runtime
 * (tfjs, the slow import: only now) and make the progress reporter that names the backend before
 * the first stage line.
 */
import type { Command } from 'commander';
import { stderrProgress, type Progress } from '../run/progress.ts';

export async function startRuntime(program: Command): Promise<{ backend: string; progress: Progress }> {
  const { initRuntime } = await import('../runtime/runtime.ts');
  const backend = await initRuntime({ backend: program.opts().backend, quiet: true });
  return { backend, progress: stderrProgress({ header: `tfjs backend ${backend}` }) };
}
