// Before the tests: the CLI tests run bin/oc-explain.js, which loads the compiled dist/, so build it
// (incrementally). Every temporary folder of the run (the tests' and the CLI's) goes into one
// folder of the system temp dir, removed after the run: a test run leaves nothing behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = join(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  const temporary = mkdtempSync(join(tmpdir(), 'oc-explain-tests-'));
  process.env.TMPDIR = temporary;
  return () => rmSync(temporary, { recursive: true, force: true });
}
