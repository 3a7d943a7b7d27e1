// The CLI tests run bin/oc-explain.js, which loads the compiled dist/: build it (incrementally) first.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function build(): void {
  const root = join(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
}
