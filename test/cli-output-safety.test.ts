/**
 * The output policy through the CLI: a folder or file the tool did not write is never replaced or
 * written into (the command exits 2 with one line and the user's files stay as they were), paths
 * are normalised, an unwritable place is found before any work, leftovers of dead processes go,
 * and Ctrl-C leaves nothing behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKER_FILE } from '../src/io/output-folder.ts';
import { cliInProcess, type CliResult } from './helpers/run-cli.ts';
import { fileTree } from './helpers/cli-fixtures.ts';

const DATA = 'mnist:0,6,limit=60';
let root: string;
let run: string;

/** Exit 2, exactly one line on stderr (nothing printed before it), no stack trace. */
function refused(r: CliResult, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(message);
}

/** A folder of the user's that looks like an output of ours: the old marker file names and more. */
function userFolder(name: string, files: Record<string, string>): { dir: string; before: string[] } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'a.py'), 'print(1)\n');
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return { dir, before: fileTree(dir) };
}

function untouched({ dir, before }: { dir: string; before: string[] }): void {
  expect(fileTree(dir)).toEqual(before);
  expect(readFileSync(join(dir, 'src', 'a.py'), 'utf8')).toBe('print(1)\n');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'oc-safety-'));
  run = join(root, 'run');
  const r = await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', run);
  expect(r.code, r.stderr).toBe(0);
});

describe("a user's folder is never replaced or written into", () => {
  it("train --out a folder holding config.json and the user's files: exit 2, every file kept", async () => {
    const user = userFolder('project', { 'config.json': '{}' });
    refused(
      await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', user.dir),
      `${user.dir} is not empty and was not written by oc-explain (it has no ${MARKER_FILE})`,
    );
    untouched(user);
  });

  it('explain, clusters and explain-classifier into a folder holding explain.json / clusters.json: exit 2, kept', async () => {
    const explain = userFolder('notes-explain', { 'explain.json': '{"mine": true}' });
    refused(await cliInProcess('explain', run, '--top', '2', '--out', explain.dir), /was not written by oc-explain/);
    untouched(explain);
    const clusters = userFolder('notes-clusters', { 'clusters.json': '[]' });
    refused(await cliInProcess('clusters', run, '--k', '2', '--out', clusters.dir), /was not written by oc-explain/);
    untouched(clusters);
    const model = join(root, 'run-as-model');
    const classifier = userFolder('notes-classifier', { 'notes.txt': 'mine' });
    refused(
      await cliInProcess(
        'explain-classifier',
        '--model',
        model,
        '--data',
        DATA,
        '--first',
        '2',
        '--out',
        classifier.dir,
      ),
      /was not written by oc-explain/,
    );
    untouched(classifier);
  });

  it("train-features keeps a user's model.json and weights.bin, and refuses a file name as --out", async () => {
    const models = userFolder('models', { 'model.json': '{"user": 1}', 'weights.bin': 'WEIGHTS' });
    refused(
      await cliInProcess('train-features', '--data', DATA, '--epochs', '1', '--out', models.dir),
      /was not written by oc-explain/,
    );
    refused(
      await cliInProcess('train-features', '--data', DATA, '--epochs', '1', '--out', join(models.dir, 'notes.json')),
      /give the folder for model.json and weights.bin, not a file name/,
    );
    untouched(models);
    expect(readFileSync(join(models.dir, 'weights.bin'), 'utf8')).toBe('WEIGHTS');
  });

  it("report --out the user's own HTML file: exit 2, kept; an earlier report is replaced", async () => {
    const notes = join(root, 'notes.html');
    writeFileSync(notes, '<!DOCTYPE html><p>my notes</p>');
    refused(
      await cliInProcess('report', run, '--out', notes),
      `${notes} exists and is not a report written by oc-explain`,
    );
    expect(readFileSync(notes, 'utf8')).toBe('<!DOCTYPE html><p>my notes</p>');
    const report = join(root, 'report.html');
    for (let k = 0; k < 2; k++) {
      const r = await cliInProcess('report', run, '--top', '1', '--methods', 'nn', '--steps', '4', '--out', report);
      expect(r.code, r.stderr).toBe(0);
    }
    expect(readFileSync(report, 'utf8')).toMatch(/<meta name="generator" content="oc-explain /);
  });

  it('an output of another kind is not replaced: explain --out the run folder itself', async () => {
    const before = fileTree(run);
    refused(
      await cliInProcess('explain', run, '--top', '2', '--out', run),
      /would replace .*run, which this command reads/,
    );
    const explained = join(root, 'explained');
    expect((await cliInProcess('explain', run, '--top', '2', '--method', 'nn', '--out', explained)).code).toBe(0);
    refused(
      await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', explained),
      /holds outlier explanations written by oc-explain, not a run; refusing to replace it/,
    );
    refused(
      await cliInProcess('demo', '--out', explained),
      /holds outlier explanations written by oc-explain, not a demo/,
    );
    expect(fileTree(run)).toEqual(before);
  });
});

describe('output paths', () => {
  it('--out DIR/ (tab completion), a relative path and ./path write the same folder; --out . is refused', async () => {
    const dir = join(root, 'slash');
    for (const given of [`${dir}/`, `./${relative(process.cwd(), dir)}/`]) {
      const r = await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', given);
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(root).filter((n) => n.startsWith('slash'))).toEqual(['slash']);
    }
    expect(readdirSync(dir)).toContain('config.json');
    refused(
      await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', '.'),
      '--out .: that is the current folder; name a new folder for the output',
    );
  });

  it('an unwritable place is one line before any work, not an error after it', async () => {
    refused(
      await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', '/sys/oc-explain-test/run'),
      /^oc-explain: cannot write \/sys\/oc-explain-test\/run: (operation not permitted|permission denied|read-only file system)$/m,
    );
    refused(
      await cliInProcess('report', run, '--out', '/sys/oc-explain-test.html'),
      /cannot write \/sys\/oc-explain-test.html/,
    );
  });

  it('removes the temporary folder a dead process left for the same output', async () => {
    const out = join(root, 'stale');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const leftover = join(root, `stale.${dead}.tmp`);
    mkdirSync(leftover);
    writeFileSync(join(leftover, MARKER_FILE), JSON.stringify({ tool: 'oc-explain', format: 'run', version: '0' }));
    writeFileSync(join(leftover, 'scores.csv'), 'half');
    const r = await cliInProcess('train', '--data', DATA, '--features', 'pixels', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(leftover)).toBe(false);
  });
});

describe('stopping the CLI', () => {
  it('Ctrl-C (SIGINT) during the work: exit 130, the unfinished output and the folders made for it are gone', async () => {
    const base = join(root, 'interrupted');
    mkdirSync(base);
    const out = join(base, 'new', 'run');
    const bin = join(import.meta.dirname, '..', 'bin', 'oc-explain.js');
    const child = spawn(
      process.execPath,
      [bin, 'train', '--data', 'mnist:limit=2000', '--features', 'cnn', '--epochs', '4', '--out', out],
      { env: { ...process.env, OC_EXPLAIN_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // wait until the work has begun: the temporary folder exists
    while (!existsSync(join(base, 'new')) || readdirSync(join(base, 'new')).length === 0)
      await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/oc-explain: interrupted; its unfinished output was removed/);
    expect(readdirSync(base)).toEqual([]);
  });
});
