/**
 * The temporary files and folders this process is building. When the CLI runs under its
 * supervising process (src/cli.ts), each one is announced to it, so that what a stopped or killed
 * process leaves behind (Ctrl-C, SIGTERM, the out-of-memory killer) is removed at once.
 */
import { rmSync } from 'node:fs';

/** Set by the supervising CLI process in the environment of the process that does the work. */
export const SUPERVISED_ENV = 'OC_EXPLAIN_SUPERVISED';

/** The message a supervised process sends about one temporary path. */
export interface TemporaryMessage {
  ocExplainTemporary: 'add' | 'remove';
  path: string;
}

function announce(message: TemporaryMessage): void {
  if (process.env[SUPERVISED_ENV] === '1' && process.send) process.send(message);
}

/** `path` is about to be created and must not outlive this process unless released. */
export function registerTemporary(path: string): void {
  announce({ ocExplainTemporary: 'add', path });
}

/** `path` was renamed into place or removed: it is no longer a temporary. */
export function releaseTemporary(path: string): void {
  announce({ ocExplainTemporary: 'remove', path });
}

export function isTemporaryMessage(message: unknown): message is TemporaryMessage {
  const m = message as TemporaryMessage | null;
  return (m?.ocExplainTemporary === 'add' || m?.ocExplainTemporary === 'remove') && typeof m.path === 'string';
}

/** Remove every path of `paths` (newest first: a temporary folder before the parent made for it). */
export function removeAllSync(paths: Iterable<string>): void {
  for (const path of [...paths].reverse()) rmSync(path, { recursive: true, force: true });
}
