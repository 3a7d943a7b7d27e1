/** Run the real CLI (bin/oc-explain.js) in a child process and collect its exit code and output. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'oc-explain.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', [CLI, ...args], {
      env: { ...process.env, OC_EXPLAIN_BACKEND: 'wasm' },
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Lines of progress on stderr: the backend named before the first stage, and the stage lines (ending in '…'). */
export const isProgressLine = (line: string) => /^oc-explain: tfjs backend \w+$/.test(line) || / …$/.test(line);

/** The error lines of a failed command (stderr without the progress lines): one 'oc-explain: …' message, no stack trace. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((l) => l.trim() !== '' && !isProgressLine(l));
}

/** Run the CLI's main() in this process (fast: no start-up), capturing console.log and stderr. */
export async function cliInProcess(...args: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli.ts');
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' ') + '\n');
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}
