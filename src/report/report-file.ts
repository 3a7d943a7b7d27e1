/**
 * Where a report may be written: a report file is replaced only when it is one of ours, known by
 * the generator tag in its head (light: no rendering code, so the CLI can check before any work).
 */
import { checkOutputFile } from '../io/atomic-write.ts';

export const GENERATOR = 'oc-explain';

/** Does a file that starts with `head` hold a report of ours (so that it may be replaced)? */
export function isReportHtml(head: string): boolean {
  return head.startsWith('<!DOCTYPE html>') && head.includes(`<meta name="generator" content="${GENERATOR} `);
}

/**
 * May a report be written to `path`? Not a folder, writable, and either new, empty or an earlier
 * report of ours — never any other file. `inputs` are paths the report is made from. Call it before the work.
 */
export function checkReportTarget(path: string, inputs: readonly string[] = []): void {
  checkOutputFile(path, 'a report', isReportHtml, { inputs });
}
