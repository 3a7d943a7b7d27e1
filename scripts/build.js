#!/usr/bin/env node
// npm run build: compile src/ to dist/ with tsc (incremental), then delete the outputs an earlier
// build left for sources that no longer exist, so that dist/ (and so the package) is exactly the
// build of src/.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = /\.(d\.ts\.map|d\.ts|js\.map|js)$/;

execFileSync(
  process.execPath,
  [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
pruneStale(join(root, 'dist'), join(root, 'src'));

/** Removes outputs in `out` whose source `src/<path>.ts` is gone, and folders left empty. */
function pruneStale(out, src) {
  for (const entry of readdirSync(out, { withFileTypes: true })) {
    const path = join(out, entry.name);
    if (entry.isDirectory()) {
      pruneStale(path, join(src, entry.name));
      if (readdirSync(path).length === 0) rmdirSync(path);
    } else if (OUTPUT.test(entry.name) && !existsSync(join(src, entry.name.replace(OUTPUT, '.ts')))) {
      rmSync(path);
    }
  }
}
