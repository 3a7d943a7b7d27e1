import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { loadCsv } from '../src/data/csv.ts';
import { DATA_SPEC_FORMS, loadDataset, parseDataSpec } from '../src/data/data-spec.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { loadPngFolder } from '../src/data/png-folder.ts';

const DATA = join(import.meta.dirname, '..', 'data');

function userErrorOf(spec: string): string {
  try {
    parseDataSpec(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error(`'${spec}' was accepted`);
}

describe('parseDataSpec', () => {
  it('reads every documented form', () => {
    expect(parseDataSpec('mnist')).toEqual({ kind: 'mnist', digits: null, limit: null, planted: null });
    expect(parseDataSpec('MNIST:0,6')).toEqual({ kind: 'mnist', digits: [0, 6], limit: null, planted: null });
    expect(parseDataSpec('mnist:0, 6,limit=500')).toEqual({ kind: 'mnist', digits: [0, 6], limit: 500, planted: null });
    expect(parseDataSpec('mnist:limit=20,planted=0.02')).toEqual({
      kind: 'mnist',
      digits: null,
      limit: 20,
      planted: 0.02,
    });
    expect(parseDataSpec('png:some/dir')).toEqual({ kind: 'png', dir: 'some/dir', planted: null });
    expect(parseDataSpec('csv:a.csv')).toEqual({ kind: 'csv', file: 'a.csv', label: null, header: null, shape: null });
    expect(parseDataSpec('csv:a.csv,label=last,header=no')).toEqual({
      kind: 'csv',
      file: 'a.csv',
      label: 'last',
      header: false,
      shape: null,
    });
    expect(parseDataSpec('csv:x/a.csv,label=species,header=yes')).toEqual({
      kind: 'csv',
      file: 'x/a.csv',
      label: 'species',
      header: true,
      shape: null,
    });
    expect(parseDataSpec('csv:a.csv,label=first,shape=28x28')).toMatchObject({ shape: [28, 28, 1] });
    expect(parseDataSpec('csv:a.csv,shape=8X6x3')).toMatchObject({ shape: [8, 6, 3] });
  });

  it('keeps commas and colons that belong to a path', () => {
    expect(parseDataSpec('csv:runs/a,b:c.csv,label=first')).toEqual({
      kind: 'csv',
      file: 'runs/a,b:c.csv',
      label: 'first',
      header: null,
      shape: null,
    });
    expect(parseDataSpec('png:/tmp/x=y')).toEqual({ kind: 'png', dir: '/tmp/x=y', planted: null });
  });

  it('an unknown scheme names every allowed form in one line', () => {
    const message = userErrorOf('tiff:dir');
    expect(message).toBe(
      "unknown data set 'tiff:dir'; allowed: mnist[:DIGITS][,limit=N][,planted=RATE], png:DIR[,planted=RATE], csv:FILE[,label=first|last|NAME][,header=yes|no][,shape=HxW[xC]]",
    );
    for (const form of DATA_SPEC_FORMS) expect(message).toContain(form.split(/[\s,:]/)[0]);
    expect(userErrorOf('')).toContain('allowed: mnist');
  });

  it('names the mistake in bad specs', () => {
    expect(userErrorOf('mnist:0,12')).toContain("'12' is not a digit 0…9");
    expect(userErrorOf('mnist:limit=0')).toContain("limit must be a positive whole number, got '0'");
    expect(userErrorOf('mnist:limit=ten')).toContain('limit must be');
    expect(userErrorOf('mnist:label=3')).toContain("unknown option 'label' for mnist (allowed: limit, planted)");
    expect(userErrorOf('png:dir,limit=3')).toContain("unknown option 'limit' for png (allowed: planted)");
    expect(userErrorOf('csv:a.csv,header=maybe')).toContain("header must be yes or no, got 'maybe'");
    expect(userErrorOf('csv:a.csv,label=')).toContain('label= needs first, last or a column name');
    expect(userErrorOf('csv:')).toContain("give a file after 'csv:'");
    expect(userErrorOf('png')).toContain("give a folder after 'png:'");
    for (const bad of ['28', '28x', 'x28', '28x28x1x1', '0x28', '28x2.5', 'axb'])
      expect(userErrorOf(`csv:a.csv,shape=${bad}`)).toContain(
        `shape must be HxW or HxWxC with whole numbers ≥ 1 (e.g. shape=28x28 or shape=32x32x3), got '${bad}'`,
      );
  });
});

describe('loadDataset', () => {
  it('loads the same data as calling each loader directly', () => {
    expect(loadDataset('mnist:3,limit=7')).toEqual(loadMnist({ digits: [3], limit: 7 }));
    const tinyPng = join(DATA, 'tiny-png');
    expect(loadDataset(`png:${tinyPng}`)).toEqual(loadPngFolder(tinyPng));
    const tinyCsv = join(DATA, 'tiny.csv');
    expect(loadDataset(`csv:${tinyCsv},label=species`)).toEqual(loadCsv(tinyCsv, { label: 'species' }));
    expect(loadDataset({ kind: 'csv', file: tinyCsv, label: 'last', header: true, shape: null }).labels).not.toBeNull();
  });

  it('passes loader errors through as UserErrors naming the path', () => {
    expect(() => loadDataset('csv:/no/such/file.csv')).toThrow(
      'cannot read CSV file /no/such/file.csv: no such file or folder',
    );
    expect(() => loadDataset('png:/no/such/dir')).toThrow(UserError);
  });
});
