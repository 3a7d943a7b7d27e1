/**
 * Samples read on demand (openCsv, openPngFolder, openSamples): every range, batch and pick gives
 * exactly the samples, labels and classes of the in-memory loaders, and bad data stops at open,
 * before any sample is handed out.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.ts';
import { loadCsv, openCsv } from '../src/data/csv.ts';
import { loadDataset, openSamples } from '../src/data/data-spec.ts';
import { loadPngFolder, openPngFolder } from '../src/data/png-folder.ts';
import { batchesOf, pickSamples } from '../src/data/sample-source.ts';
import { subset } from '../src/data/split.ts';

const DATA = join(import.meta.dirname, '..', 'data');

/** 700 rows (several read checkpoints) with a BOM, a header, CRLF and blank lines, labels in the middle column. */
function bigCsv(): string {
  const lines = ['\uFEFFa,kind,b,c'];
  for (let r = 0; r < 700; r++) {
    lines.push(`${r / 7},${['x', 'y', 'z'][(r * 5) % 3]},${-r},${(r * r) % 13}e-1`);
    if (r % 97 === 0) lines.push('  ');
  }
  const path = join(mkdtempSync(join(tmpdir(), 'data-source-')), 'big.csv');
  writeFileSync(path, lines.join('\r\n') + '\r\n');
  return path;
}

describe('openCsv', () => {
  const file = bigCsv();
  const all = loadCsv(file, { label: 'kind' });
  const source = openCsv(file, { label: 'kind' });

  it('knows the count, shape, labels and classes of loadCsv without reading the samples', () => {
    expect(source.n).toBe(700);
    expect(source.sampleShape).toEqual(all.sampleShape);
    expect(Array.from(source.labels!)).toEqual(Array.from(all.labels!));
    expect(source.classNames).toEqual(all.classNames);
    expect(source.source).toBe(all.source);
  });

  it('reads any range as loadCsv holds it, across read checkpoints', () => {
    const d = all.sampleShape[0];
    for (const [from, to] of [
      [0, 700],
      [0, 1],
      [255, 257],
      [256, 513],
      [699, 700],
      [300, 300],
    ])
      expect(Array.from(source.read(from, to))).toEqual(Array.from(all.x.subarray(from * d, to * d)));
    expect(() => source.read(5, 701)).toThrow(RangeError);
  });

  it('batches cover every sample once, in order; picks give the chosen samples', () => {
    const joined: number[] = [];
    for (const b of batchesOf(source, 64)) joined.push(...b.x);
    expect(joined).toEqual(Array.from(all.x));
    const indices = [699, 3, 3, 400, 0, 258];
    expect(pickSamples(source, indices)).toEqual(subset(all, indices));
  });

  it('stops at open on a bad row anywhere in the file, naming the line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'data-source-')), 'bad.csv');
    writeFileSync(path, Array.from({ length: 600 }, (_, r) => (r === 555 ? '1,oops' : `${r},1`)).join('\n'));
    expect(() => openCsv(path)).toThrow(UserError);
    expect(() => openCsv(path)).toThrow(`${path} line 556, column 2: 'oops' is not a number`);
  });
});

describe('openPngFolder and openSamples', () => {
  it('reads the committed PNG folders as loadPngFolder does (grey mixed with colour → RGB)', () => {
    for (const name of ['tiny-png', 'tiny-grey']) {
      const dir = join(DATA, name);
      const all = loadPngFolder(dir);
      const source = openPngFolder(dir);
      expect(source.sampleShape).toEqual(all.sampleShape);
      expect(source.labels && Array.from(source.labels)).toEqual(all.labels && Array.from(all.labels));
      expect(source.classNames).toEqual(all.classNames);
      const joined: number[] = [];
      for (const b of batchesOf(source, 4)) joined.push(...b.x);
      expect(joined).toEqual(Array.from(all.x));
    }
  });

  it('a file that is not a PNG stops the folder at open', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-source-'));
    writeFileSync(join(dir, 'a.png'), 'not a png at all, just text');
    expect(() => openPngFolder(dir)).toThrow(/a\.png: it is not a PNG image/);
  });

  it('openSamples serves every data-spec form like loadDataset', () => {
    for (const spec of [
      'mnist:3,5,limit=40',
      `csv:${join(DATA, 'tiny.csv')},label=species`,
      `png:${join(DATA, 'tiny-png')}`,
    ]) {
      const all = loadDataset(spec);
      const source = openSamples(spec);
      expect(
        pickSamples(
          source,
          Array.from({ length: all.n }, (_, i) => i),
        ),
      ).toEqual(all);
    }
  });
});
