import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { loadCsv, splitCsvLine } from '../src/data/csv.ts';

const TINY = join(import.meta.dirname, '..', 'data', 'tiny.csv');
// data/tiny.csv as numbers, written out by hand
const TINY_X = [
  [0.5, 1, -2],
  [1.5, 0.2, 3],
  [-0.25, 0.5, 4],
  [2, 2, 2],
  [10, -15, 0],
  [3, 0, -1],
];
const TINY_SPECIES = ['setosa', 'virginica', 'setosa', 'versicolor', 'virginica', 'setosa'];

function csvFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'data-csv-')), 'd.csv');
  writeFileSync(path, text);
  return path;
}

describe('loadCsv on data/tiny.csv', () => {
  it('reads the label column by header name; classes sorted, labels index them', () => {
    const ds = loadCsv(TINY, { label: 'species' });
    expect(ds.n).toBe(6);
    expect(ds.sampleShape).toEqual([3]);
    expect(Array.from(ds.x)).toEqual(TINY_X.flat().map(Math.fround));
    expect(ds.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Array.from(ds.labels!, (l) => ds.classNames[l])).toEqual(TINY_SPECIES);
    expect(ds.source).toBe(`csv:${TINY}`);
  });

  it('label=last gives the same as the column name', () => {
    const byName = loadCsv(TINY, { label: 'species' });
    expect(loadCsv(TINY, { label: 'last' })).toEqual(byName);
  });

  it('without a label option a text column is an error naming its row and column', () => {
    expect(() => loadCsv(TINY)).toThrow(UserError);
    expect(() => loadCsv(TINY)).toThrow(`${TINY} line 2, column 4 ('species'): 'setosa' is not a number`);
  });
});

describe('loadCsv options and formats', () => {
  it('detects a missing header, reads label=first, sorts numeric classes by value', () => {
    const path = csvFile('10,1,2\n2,3,4\n\n10,5,6\r\n');
    const ds = loadCsv(path, { label: 'first' });
    expect(ds.n).toBe(3);
    expect(Array.from(ds.x)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ds.classNames).toEqual(['2', '10']);
    expect(Array.from(ds.labels!)).toEqual([1, 0, 1]);
  });

  it('reads unlabelled data with a detected header, quoted header cells and a BOM', () => {
    const ds = loadCsv(csvFile('\uFEFF"a, first",b\n1,2\n3,4\n'));
    expect(ds.labels).toBeNull();
    expect(ds.classNames).toEqual([]);
    expect(Array.from(ds.x)).toEqual([1, 2, 3, 4]);
  });

  it('header=yes skips an all-number first line; header=no keeps it', () => {
    const path = csvFile('1,2\n3,4\n');
    expect(Array.from(loadCsv(path, { header: true }).x)).toEqual([3, 4]);
    expect(loadCsv(path, { header: false }).n).toBe(2);
  });

  it('splits quoted cells with commas and doubled quotes', () => {
    expect(splitCsvLine(' a ,"b,c","d""e"')).toEqual(['a', 'b,c', 'd"e']);
  });
});

describe('loadCsv bad data: one UserError naming the file and row', () => {
  const cases: [string, string, Parameters<typeof loadCsv>[1], RegExp][] = [
    ['empty file', '', {}, /is empty/],
    ['blank lines only', '\n  \n', {}, /is empty/],
    ['header only', 'a,b\n', {}, /no data rows after its header line/],
    ['ragged row', 'a,b\n1,2\n3\n', {}, /line 3: 1 cells, expected 2 like the header/],
    ['ragged without header', '1,2\n3,4,5\n', {}, /line 2: 3 cells, expected 2 like line 1/],
    ['text cell', 'a,b\n1,2\n3,x\n', {}, /line 3, column 2 \('b'\): 'x' is not a number/],
    ['empty cell', '1,2\n3,\n', {}, /line 2, column 2: '' is not a number/],
    ['NaN', '1,2\nNaN,4\n', {}, /line 2, column 1: 'NaN' is not allowed, values must be finite/],
    ['Infinity', '1,2\n3,-inf\n', {}, /line 2, column 2: '-inf' is not allowed/],
    ['overflow', '1,2\n3,1e39\n', {}, /line 2, column 2: '1e39' is too large/],
    ['hex', '1,2\n0x10,4\n', {}, /line 2, column 1: '0x10' is not a number/],
    ['unknown label column', 'a,b\n1,2\n', { label: 'c' }, /no column named 'c'.*'a', 'b'/],
    [
      'label name without header',
      '1,2\n3,4\n',
      { label: 'a', header: false },
      /label=a names a column, but the file has no header/,
    ],
    ['empty label', 'a,y\n1,\n', { label: 'y' }, /line 2, column 2 \('y'\): empty label/],
    ['only a label column', 'y\nq\n', { label: 'y' }, /no number columns besides the label column/],
  ];
  for (const [what, text, options, message] of cases) {
    it(what, () => {
      const path = csvFile(text);
      let error: unknown;
      try {
        loadCsv(path, options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('a missing file', () => {
    const path = join(tmpdir(), 'no-such-dir-oc', 'none.csv');
    expect(() => loadCsv(path)).toThrow(UserError);
    expect(() => loadCsv(path)).toThrow(`cannot read CSV file ${path}: no such file or folder`);
  });
});
