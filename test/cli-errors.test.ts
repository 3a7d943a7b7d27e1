/**
 * The top-level handler: every error is one line — exit 2 for what the user can fix (unknown flags
 * included, without the whole usage), exit 1 with "internal error, please report" for a bug, the
 * stack only with --debug — and no progress line comes before an error found in the options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../src/errors.ts';
import { reportError } from '../src/cli.ts';
import { cli, cliInProcess, errorLines } from './helpers/run-cli.ts';

const out = () => join(mkdtempSync(join(tmpdir(), 'oc-errors-')), 'out');

describe('the CLI binary', () => {
  it('an unknown flag: exit 2 and one line naming it, not the usage', async () => {
    const r = await cli('train', '--data', 'mnist', '--bogus', '--out', out());
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("oc-explain: unknown option '--bogus' (see oc-explain train --help)\n");
    expect(r.stdout).toBe('');
  });

  it('--help exits 0 with the usage on stdout; no command at all exits 2', async () => {
    const help = await cli('explain', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: oc-explain explain \[options\] <run>/);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^Usage: oc-explain/);
  });
});

describe('option errors: one line, exit 2, nothing printed before it', () => {
  it.each([
    [['trian'], "unknown command 'trian' (Did you mean train?) (see oc-explain --help)"],
    [['train', '--out', 'x'], "required option '--data <spec>' not specified (see oc-explain train --help)"],
    [['explain', '--out', 'x'], "missing required argument 'run' (see oc-explain explain --help)"],
    [
      ['outliers', 'a', 'b'],
      "too many arguments for 'outliers'. Expected 1 argument but got 2. (see oc-explain outliers --help)",
    ],
    [
      ['train', '--data', 'mnist', '--gamma', '1e-300', '--features', 'pixels', '--out', 'x'],
      "--gamma 1e-300 is outside 1e-30…1e+30, where the float32 kernel still tells samples apart; use 'scale' or a value near it",
    ],
    [
      ['train', '--data', 'mnist', '--features', 'pixels', '--layer', 'dense', '--out', 'x'],
      '--layer picks a layer of a feature network; --features pixels has none (use cnn, mlp, ae, geo or model:PATH)',
    ],
    [
      ['train', '--data', 'mnist', '--features', 'pixels', '--epochs', '2', '--out', 'x'],
      '--epochs trains a feature network; --features pixels has none (use cnn, mlp, ae or geo)',
    ],
    [
      ['train', '--data', 'mnist', '--features', 'model:m', '--epochs', '2', '--out', 'x'],
      '--epochs trains a feature network; a model:PATH network is used as it is',
    ],
    [
      ['train', '--data', 'tiff:x', '--features', 'pixels', '--out', 'x'],
      "unknown data set 'tiff:x'; allowed: mnist[:DIGITS][,limit=N][,planted=RATE], png:DIR[,planted=RATE], csv:FILE[,label=first|last|NAME][,header=yes|no][,shape=HxW[xC]]",
    ],
  ])('%j', async (args, message) => {
    const r = await cliInProcess(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`oc-explain: ${message}\n`);
  });
});

describe('reportError', () => {
  let written = '';
  const capture = () => {
    written = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
  };
  afterEach(() => vi.restoreAllMocks());

  it('a bug is exit 1 and one short "internal error, please report" line; --debug adds the stack', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'shape')");
    capture();
    expect(reportError(bug, false)).toBe(1);
    expect(written).toBe(
      "oc-explain: internal error, please report it with the command you ran: TypeError: Cannot read properties of undefined (reading 'shape') (--debug shows where)\n",
    );
    capture();
    expect(reportError(bug, true)).toBe(1);
    const lines = written.trim().split('\n');
    expect(lines[0]).toMatch(/^oc-explain: internal error, please report it/);
    expect(lines.slice(1).some((l) => /^\s+at /.test(l))).toBe(true);
  });

  it('a tfjs/WASM error never reaches the terminal raw: one line of at most a few hundred characters', () => {
    const wasm = new WebAssembly.RuntimeError('memory access out of bounds');
    capture();
    expect(reportError(wasm, false)).toBe(1);
    expect(written).toMatch(
      /^oc-explain: internal error, please report it .*RuntimeError: memory access out of bounds/,
    );
    const minified = new Error(`Error in fused conv2d: ${'var a=function(b){return b};'.repeat(1300)}`);
    capture();
    reportError(minified, false);
    expect(written.split('\n')).toHaveLength(2);
    expect(written.length).toBeLessThan(400);
  });

  it('a UserError is exit 2 and its one line; running out of memory is exit 2 and says what to do', () => {
    capture();
    expect(reportError(new UserError("x.csv line 3, column 2: 'a' is not a number"), false)).toBe(2);
    expect(written).toBe("oc-explain: x.csv line 3, column 2: 'a' is not a number\n");
    capture();
    expect(reportError(new RangeError('Array buffer allocation failed'), false)).toBe(2);
    expect(written).toMatch(/^oc-explain: out of memory .*: use fewer or smaller samples/);
  });
});

describe('errors found during the work', () => {
  it('come after the stage lines only, as one line', async () => {
    const r = await cliInProcess(
      'train',
      '--data',
      'mnist:3,limit=40',
      '--features',
      'mlp',
      '--epochs',
      '1',
      '--out',
      out(),
    );
    expect(r.code).toBe(2);
    expect(errorLines(r)).toEqual([
      "oc-explain: mnist:3 has only one class ('3'): a classifier needs at least two classes to learn features",
    ]);
    expect(r.stderr.split('\n').filter((l) => l !== '').length).toBeLessThanOrEqual(4);
  });
});
