/**
 * The method notes as a reader follows them: every `docs/methods.md#anchor` that the code or the
 * README cites exists there exactly once, and no tracked file still holds a merge's conflict markers.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const trackedFiles = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
const textFiles = trackedFiles.filter((f) => /\.(ts|js|cjs|mjs|md|json|py|yaml|yml)$/.test(f));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

describe('docs/methods.md', () => {
  const notes = read('docs/methods.md');
  const anchors = [...notes.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);

  it('defines each anchor once', () => {
    const repeated = anchors.filter((a, i) => anchors.indexOf(a) !== i);
    expect(repeated).toEqual([]);
  });

  it('has every anchor that the sources and the README cite', () => {
    const cited = new Set<string>();
    for (const file of textFiles.filter((f) => f.startsWith('src/') || f === 'README.md'))
      for (const m of read(file).matchAll(/docs\/methods\.md#([a-z0-9-]+)/g)) cited.add(`${m[1]} (${file})`);
    const missing = [...cited].filter((c) => !anchors.includes(c.split(' ')[0]));
    expect(cited.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});

describe('tracked files', () => {
  it('hold no merge conflict markers', () => {
    const marked = textFiles.filter((f) => /^(<{7}|>{7}) /m.test(read(f)) || /^={7}$/m.test(read(f)));
    expect(marked).toEqual([]);
  });
});
