/**
 * A CSV file of numbers: one sample per row, comma-separated, optional header line, optional label
 * column (any text; classes are the distinct values, sorted numerically when all are numbers).
 * Every other cell must be a finite decimal number. Blank lines are skipped; line numbers in
 * messages count every line of the file from 1. The file is read in chunks of 1 MB: loadCsv holds
 * the numbers, openCsv only the labels and where every 256th row starts.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { describeFsError } from '../io/fs-error.ts';
import type { Dataset } from './dataset.ts';
import { checkRange, type SampleSource } from './sample-source.ts';

export interface CsvOptions {
  /** the label column: 'first', 'last' or a header name; absent → unlabelled */
  label?: string;
  /** whether line 1 is a header; absent → detected (a header is needed when `label` is a name) */
  header?: boolean;
  /** each row is an image of this shape [height, width, channels] (row-major, channels last); absent → vectors */
  shape?: number[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
/** C0 and C1 control characters (tab, newline, escape, …): a class name with one cannot be shown or stored line by line */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Split one line into cells; double quotes may wrap a cell ("" inside is one quote). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((cell) => cell.trim()); // the common case, fast
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

function labelColumn(file: string, label: string, columns: number, header: string[] | null): number {
  if (label === 'first') return 0;
  if (label === 'last') return columns - 1;
  if (!header) throw new UserError(`${file}: label=${label} names a column, but the file has no header line`);
  const index = header.indexOf(label);
  if (index < 0) {
    throw new UserError(
      `${file}: no column named '${label}' for the label; columns are ${header.map((h) => `'${h}'`).join(', ')} (or use label=first / label=last)`,
    );
  }
  return index;
}

function sortClassNames(names: string[]): string[] {
  const allNumbers = names.every((s) => NUMBER.test(s));
  return allNumbers ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

/** Line 1 is a header when the label is named by it, or when a cell outside the label column is not a number. */
function looksLikeHeader(cells: string[], label: string | undefined): boolean {
  if (label !== undefined && label !== 'first' && label !== 'last') return true;
  const labelAt = label === 'first' ? 0 : label === 'last' ? cells.length - 1 : -1;
  return cells.some((cell, c) => c !== labelAt && !NUMBER.test(cell));
}

/** Data rows between two read positions kept by the scan (each is one seek when reading a range). */
const CHECKPOINT_ROWS = 256;
/** Bytes read from the file at a time. */
const CHUNK_BYTES = 1 << 20;

/** The lines of `file` from byte `offset` on (line numbers from `line`), read in chunks: text without its line break. */
function* fileLines(file: string, offset = 0, line = 1): Generator<{ line: number; offset: number; text: string }> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UserError(`cannot read CSV file ${file}: ${describeFsError(e)}`);
  }
  try {
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    let at = offset; // file position of carry[0]
    for (;;) {
      let got: number;
      try {
        got = readSync(fd, chunk, 0, CHUNK_BYTES, at + carry.length);
      } catch (e) {
        throw new UserError(`cannot read CSV file ${file}: ${describeFsError(e)}`);
      }
      const bytes = carry.length ? Buffer.concat([carry, chunk.subarray(0, got)]) : chunk.subarray(0, got);
      let start = 0;
      for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
        const end = nl > start && bytes[nl - 1] === 13 ? nl - 1 : nl;
        yield { line: line++, offset: at + start, text: bytes.toString('utf8', start, end) };
        start = nl + 1;
      }
      if (got === 0) {
        if (start < bytes.length) yield { line, offset: at + start, text: bytes.toString('utf8', start) };
        return;
      }
      carry = Buffer.from(bytes.subarray(start));
      at += start;
    }
  } finally {
    closeSync(fd);
  }
}

/** What the scan of a CSV file found; every data row has been checked. */
interface CsvLayout {
  header: string[] | null;
  columns: number;
  labelAt: number;
  dimension: number;
  sampleShape: number[];
  n: number;
  labels: Int32Array | null;
  classNames: string[];
  /** each data row's name: its line in the file */
  names: string[];
  /** where data row k·CHECKPOINT_ROWS starts: byte offset and line number */
  checkpoints: { offset: number; line: number }[];
}

/**
 * Read `file` once, line by line, checking every data row (cell count, numbers, labels) as
 * loadCsv always did; `onRow` receives the values of each data row in order.
 */
function scanCsv(file: string, options: CsvOptions, onRow?: (values: Float32Array) => void): CsvLayout {
  let first: string[] | null = null;
  let header: string[] | null = null;
  let columns = 0;
  let labelAt = -1;
  let dimension = 0;
  let sampleShape: number[] = [];
  let firstDataLine = 0;
  let n = 0;
  const checkpoints: CsvLayout['checkpoints'] = [];
  const names: string[] = [];
  const labelIds: number[] = [];
  const labelNames = new Map<string, number>();
  let values = new Float32Array(0);
  for (const { line, offset, text } of fileLines(file)) {
    const raw = first === null ? text.replace(/^\uFEFF/, '') : text;
    if (raw.trim() === '') continue;
    const cells = splitCsvLine(raw);
    if (first === null) {
      first = cells;
      columns = cells.length;
      if (options.header ?? looksLikeHeader(cells, options.label)) {
        header = cells;
        continue;
      }
    }
    if (n === 0) {
      labelAt = options.label === undefined ? -1 : labelColumn(file, options.label, columns, header);
      dimension = columns - (labelAt >= 0 ? 1 : 0);
      if (dimension === 0) throw new UserError(`${file}: no number columns besides the label column`);
      sampleShape = sampleShapeOf(file, dimension, options.shape);
      values = new Float32Array(dimension);
      firstDataLine = line;
    }
    if (n % CHECKPOINT_ROWS === 0) checkpoints.push({ offset, line });
    const label = parseRow(file, line, cells, { header, columns, labelAt, firstDataLine }, values);
    if (label !== null) {
      let id = labelNames.get(label);
      if (id === undefined) labelNames.set(label, (id = labelNames.size));
      labelIds.push(id);
    }
    names.push(`line ${line}`);
    onRow?.(values);
    n++;
  }
  if (first === null) throw new UserError(`CSV file ${file} is empty`);
  if (n === 0) throw new UserError(`CSV file ${file} has no data rows${header ? ' after its header line' : ''}`);
  let labels: Int32Array | null = null;
  let classNames: string[] = [];
  if (labelAt >= 0) {
    classNames = sortClassNames([...labelNames.keys()]);
    const sorted = new Map(classNames.map((name, i) => [name, i]));
    const byId = Int32Array.from(labelNames.keys(), (name) => sorted.get(name)!);
    labels = Int32Array.from(labelIds, (id) => byId[id]);
  }
  return { header, columns, labelAt, dimension, sampleShape, n, labels, classNames, names, checkpoints };
}

/** Check one data row and write its numbers into `out`; returns its label text (null without a label column). */
function parseRow(
  file: string,
  line: number,
  cells: string[],
  layout: { header: string[] | null; columns: number; labelAt: number; firstDataLine: number },
  out: Float32Array,
): string | null {
  const { header, columns, labelAt } = layout;
  if (cells.length !== columns) {
    throw new UserError(
      `${file} line ${line}: ${cells.length} cells, expected ${columns} like ${header ? 'the header' : 'line ' + layout.firstDataLine}`,
    );
  }
  let label: string | null = null;
  let k = 0;
  for (let c = 0; c < cells.length; c++) {
    const cell = cells[c];
    if (c !== labelAt) {
      const value = Number(cell);
      if (NUMBER.test(cell) && Number.isFinite(value) && Number.isFinite(Math.fround(value))) {
        out[k++] = value;
        continue;
      }
    }
    // the exception (a label, or a bad cell): its words are put together only now
    const where = `${file} line ${line}, column ${c + 1}${header ? ` ('${header[c]}')` : ''}`;
    if (c === labelAt) {
      if (cell === '') throw new UserError(`${where}: empty label`);
      if (CONTROL.test(cell))
        throw new UserError(
          `${where}: the label ${JSON.stringify(cell)} holds a control character; labels must be plain text`,
        );
      label = cell;
      continue;
    }
    if (NOT_FINITE.test(cell)) throw new UserError(`${where}: '${cell}' is not allowed, values must be finite numbers`);
    if (!NUMBER.test(cell)) throw new UserError(`${where}: '${cell}' is not a number`);
    throw new UserError(`${where}: '${cell}' is too large for a 32-bit float`);
  }
  return label;
}

export function loadCsv(file: string, options: CsvOptions = {}): Dataset {
  let x = new Float32Array(1 << 16);
  let used = 0;
  const layout = scanCsv(file, options, (values) => {
    if (used + values.length > x.length) {
      const grown = new Float32Array(Math.max(2 * x.length, used + values.length));
      grown.set(x.subarray(0, used));
      x = grown;
    }
    x.set(values, used);
    used += values.length;
  });
  const { n, sampleShape, labels, classNames, names } = layout;
  return { x: x.slice(0, used), n, sampleShape, labels, classNames, source: `csv:${file}`, names };
}

/**
 * The samples of a CSV file without holding them: one checking pass now (labels and row positions
 * kept), then any range of rows read from the file on demand.
 */
export function openCsv(file: string, options: CsvOptions = {}): SampleSource {
  const layout = scanCsv(file, options);
  const { n, dimension, sampleShape, labels, classNames, names, checkpoints, header, columns, labelAt } = layout;
  const firstDataLine = checkpoints[0].line;
  return {
    source: `csv:${file}`,
    n,
    sampleShape,
    labels,
    classNames,
    names,
    read(from, to) {
      checkRange(from, to, n);
      const out = new Float32Array((to - from) * dimension);
      if (to === from) return out;
      const start = checkpoints[Math.floor(from / CHECKPOINT_ROWS)];
      let row = Math.floor(from / CHECKPOINT_ROWS) * CHECKPOINT_ROWS;
      const values = new Float32Array(dimension);
      for (const { line, offset, text } of fileLines(file, start.offset, start.line)) {
        if (text.trim() === '') continue;
        if (row >= from) {
          const raw = offset === 0 ? text.replace(/^\uFEFF/, '') : text;
          parseRow(file, line, splitCsvLine(raw), { header, columns, labelAt, firstDataLine }, values);
          out.set(values, (row - from) * dimension);
        }
        if (++row === to) return out;
      }
      throw new UserError(`CSV file ${file} changed while it was being read: it has fewer than ${to} data rows now`);
    },
  };
}

function sampleShapeOf(file: string, dimension: number, shape: number[] | undefined): number[] {
  if (!shape) return [dimension];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== dimension)
    throw new UserError(
      `${file}: shape=${shape.join('x')} needs ${size} values per row, but the rows have ${dimension} (besides the label column, if any: give label=first or label=last)`,
    );
  return [...shape];
}
