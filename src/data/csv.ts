/**
 * A CSV file of numbers: one sample per row, comma-separated, optional header line, optional label
 * column (any text; classes are the distinct values, sorted numerically when all are numbers).
 * Every other cell must be a finite decimal number. Blank lines are skipped; line numbers in
 * messages count every line of the file from 1.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { describeFsError } from '../io/fs-error.ts';
import type { Dataset } from './dataset.ts';

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

function readLines(file: string): { line: number; cells: string[] }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read CSV file ${file}: ${describeFsError(e)}`);
  }
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((raw, i) => ({ line: i + 1, raw }))
    .filter(({ raw }) => raw.trim() !== '')
    .map(({ line, raw }) => ({ line, cells: splitCsvLine(raw) }));
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

export function loadCsv(file: string, options: CsvOptions = {}): Dataset {
  const rows = readLines(file);
  if (rows.length === 0) throw new UserError(`CSV file ${file} is empty`);
  const columns = rows[0].cells.length;
  const hasHeader = options.header ?? looksLikeHeader(rows[0].cells, options.label);
  const header = hasHeader ? rows[0].cells : null;
  const data = hasHeader ? rows.slice(1) : rows;
  if (data.length === 0)
    throw new UserError(`CSV file ${file} has no data rows${hasHeader ? ' after its header line' : ''}`);
  const labelAt = options.label === undefined ? -1 : labelColumn(file, options.label, columns, header);
  const dimension = columns - (labelAt >= 0 ? 1 : 0);
  if (dimension === 0) throw new UserError(`${file}: no number columns besides the label column`);
  const sampleShape = sampleShapeOf(file, dimension, options.shape);

  const x = new Float32Array(data.length * dimension);
  const labelText: string[] = [];
  data.forEach(({ line, cells }, r) => {
    if (cells.length !== columns) {
      throw new UserError(
        `${file} line ${line}: ${cells.length} cells, expected ${columns} like ${hasHeader ? 'the header' : 'line ' + data[0].line}`,
      );
    }
    let k = r * dimension;
    cells.forEach((cell, c) => {
      const where = `${file} line ${line}, column ${c + 1}${header ? ` ('${header[c]}')` : ''}`;
      if (c === labelAt) {
        if (cell === '') throw new UserError(`${where}: empty label`);
        if (CONTROL.test(cell))
          throw new UserError(
            `${where}: the label ${JSON.stringify(cell)} holds a control character; labels must be plain text`,
          );
        labelText.push(cell);
        return;
      }
      if (NOT_FINITE.test(cell))
        throw new UserError(`${where}: '${cell}' is not allowed, values must be finite numbers`);
      if (!NUMBER.test(cell)) throw new UserError(`${where}: '${cell}' is not a number`);
      const value = Number(cell);
      if (!Number.isFinite(value) || !Number.isFinite(Math.fround(value))) {
        throw new UserError(`${where}: '${cell}' is too large for a 32-bit float`);
      }
      x[k++] = value;
    });
  });

  let labels: Int32Array | null = null;
  let classNames: string[] = [];
  if (labelAt >= 0) {
    classNames = sortClassNames([...new Set(labelText)]);
    const index = new Map(classNames.map((name, i) => [name, i]));
    labels = Int32Array.from(labelText, (t) => index.get(t)!);
  }
  const names = data.map(({ line }) => `line ${line}`);
  return { x, n: data.length, sampleShape, labels, classNames, source: `csv:${file}`, names };
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
