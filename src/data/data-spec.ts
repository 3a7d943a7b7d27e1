/**
 * The data-set argument of the CLI: `SCHEME[:ARGS]`, where ARGS is a comma-separated list of
 * positional parts (a digit list, a path) and `key=value` options.
 */
import { resolve } from 'node:path';
import { UserError } from '../errors.ts';
import type { Dataset } from './dataset.ts';
import { loadCsv, openCsv, type CsvOptions } from './csv.ts';
import { loadMnist } from './mnist.ts';
import { loadPngFolder, openPngFolder } from './png-folder.ts';
import { datasetSource, type SampleSource } from './sample-source.ts';
import { withPlantedAnomalies } from './planted-data.ts';

export const DATA_SPEC_FORMS: readonly string[] = [
  'mnist                      all ten MNIST digits',
  'mnist:0,6                  only the listed digits (labels stay the digits)',
  'mnist:0,6,limit=500        at most 500 samples, balanced over the digits',
  'mnist:planted=0.02         with anomalies planted into 2 % of each class (blob, scratch, …)',
  'png:DIR                    PNG images; DIR/<class>/*.png gives labels, DIR/*.png none',
  'png:DIR,planted=0.05       the images, anomalies planted into 5 % of them (masks kept)',
  'csv:FILE                   one sample per row of numbers; header line detected',
  'csv:FILE,label=last        label column: first, last or a header name (label=species)',
  'csv:FILE,header=no         say whether line 1 is a header (yes/no)',
  'csv:FILE,shape=28x28       each row is an image: height x width [x channels]',
];

export type DataSpec =
  | { kind: 'mnist'; digits: number[] | null; limit: number | null; planted: number | null }
  | { kind: 'png'; dir: string; planted: number | null }
  | { kind: 'csv'; file: string; label: string | null; header: boolean | null; shape: number[] | null };

const OPTIONS: Record<DataSpec['kind'], string[]> = {
  mnist: ['limit', 'planted'],
  png: ['planted'],
  csv: ['label', 'header', 'shape'],
};

/** `planted=RATE`: a share of the samples in (0, 0.5], or null when absent. */
function parsePlanted(spec: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const rate = Number(text);
  if (text.trim() === '' || !(rate > 0 && rate <= 0.5))
    throw new UserError(`data spec '${spec}': planted must be a share of the samples in (0, 0.5], got '${text}'`);
  return rate;
}

/** The allowed forms in one line, for messages. */
const FORMS_LINE =
  'mnist[:DIGITS][,limit=N][,planted=RATE], png:DIR[,planted=RATE], csv:FILE[,label=first|last|NAME][,header=yes|no][,shape=HxW[xC]]';

/** Split ARGS into positional parts and the known `key=value` options of this scheme. */
function splitArgs(
  spec: string,
  kind: DataSpec['kind'],
  args: string,
): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (const part of args === '' ? [] : args.split(',')) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (eq > 0 && /^[a-z]+$/.test(key)) {
      if (!OPTIONS[kind].includes(key)) {
        const allowed = OPTIONS[kind].length ? OPTIONS[kind].join(', ') : 'none';
        throw new UserError(`data spec '${spec}': unknown option '${key}' for ${kind} (allowed: ${allowed})`);
      }
      options.set(key, part.slice(eq + 1).trim());
    } else positional.push(part);
  }
  return { positional, options };
}

function parseMnist(spec: string, args: string): DataSpec {
  const { positional, options } = splitArgs(spec, 'mnist', args);
  const digits = positional.map((p) => {
    const t = p.trim();
    if (!/^\d$/.test(t)) throw new UserError(`data spec '${spec}': '${t}' is not a digit 0…9`);
    return Number(t);
  });
  const limitText = options.get('limit');
  let limit: number | null = null;
  if (limitText !== undefined) {
    if (!/^\d+$/.test(limitText) || Number(limitText) < 1) {
      throw new UserError(`data spec '${spec}': limit must be a positive whole number, got '${limitText}'`);
    }
    limit = Number(limitText);
  }
  return {
    kind: 'mnist',
    digits: digits.length ? digits : null,
    limit,
    planted: parsePlanted(spec, options.get('planted')),
  };
}

/** 'HxW' or 'HxWxC' (C = 1 when absent) → [H, W, C]. */
function parseShape(spec: string, text: string | undefined): number[] | null {
  if (text === undefined) return null;
  const parts = text.toLowerCase().split('x');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^\d+$/.test(p) && Number(p) >= 1))
    throw new UserError(
      `data spec '${spec}': shape must be HxW or HxWxC with whole numbers ≥ 1 (e.g. shape=28x28 or shape=32x32x3), got '${text}'`,
    );
  const [height, width, channels = 1] = parts.map(Number);
  return [height, width, channels];
}

function parseHeader(spec: string, text: string | undefined): boolean | null {
  if (text === undefined) return null;
  if (/^(yes|true|1)$/i.test(text)) return true;
  if (/^(no|false|0)$/i.test(text)) return false;
  throw new UserError(`data spec '${spec}': header must be yes or no, got '${text}'`);
}

export function parseDataSpec(spec: string): DataSpec {
  const colon = spec.indexOf(':');
  const scheme = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const args = colon < 0 ? '' : spec.slice(colon + 1);
  if (scheme === 'mnist') return parseMnist(spec, args);
  if (scheme === 'png' || scheme === 'csv') {
    const { positional, options } = splitArgs(spec, scheme, args);
    const path = positional.join(',').trim();
    if (path === '')
      throw new UserError(`data spec '${spec}': give a ${scheme === 'png' ? 'folder' : 'file'} after '${scheme}:'`);
    if (scheme === 'png') return { kind: 'png', dir: path, planted: parsePlanted(spec, options.get('planted')) };
    const label = options.get('label');
    if (label === '') throw new UserError(`data spec '${spec}': label= needs first, last or a column name`);
    return {
      kind: 'csv',
      file: path,
      label: label ?? null,
      header: parseHeader(spec, options.get('header')),
      shape: parseShape(spec, options.get('shape')),
    };
  }
  throw new UserError(`unknown data set '${spec}'; allowed: ${FORMS_LINE}`);
}

/** The files and folders a spec reads (none for the embedded MNIST). */
export function dataSpecPaths(spec: DataSpec): string[] {
  return spec.kind === 'png' ? [spec.dir] : spec.kind === 'csv' ? [spec.file] : [];
}

/** The spec as text, with its path made absolute, so that a run can reload the same samples from any folder. */
export function absoluteDataSpec(spec: DataSpec, given: string): string {
  if (spec.kind === 'png') return `png:${resolve(spec.dir)}${spec.planted === null ? '' : `,planted=${spec.planted}`}`;
  if (spec.kind === 'csv') {
    const options = [
      spec.label !== null ? `label=${spec.label}` : null,
      spec.header !== null ? `header=${spec.header ? 'yes' : 'no'}` : null,
      spec.shape !== null ? `shape=${spec.shape.join('x')}` : null,
    ];
    return [`csv:${resolve(spec.file)}`, ...options.filter((o) => o !== null)].join(',');
  }
  return given;
}

const planted = (ds: Dataset, rate: number | null) => (rate === null ? ds : withPlantedAnomalies(ds, rate));

/** A CSV data spec's reading options. */
function csvOptions(spec: Extract<DataSpec, { kind: 'csv' }>): CsvOptions {
  return { label: spec.label ?? undefined, header: spec.header ?? undefined, shape: spec.shape ?? undefined };
}

/** Parse (if needed) and load a data set. */
export function loadDataset(spec: string | DataSpec): Dataset {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  switch (parsed.kind) {
    case 'mnist':
      return planted(
        loadMnist({ digits: parsed.digits ?? undefined, limit: parsed.limit ?? undefined }),
        parsed.planted,
      );
    case 'png':
      return planted(loadPngFolder(parsed.dir), parsed.planted);
    case 'csv':
      return loadCsv(parsed.file, csvOptions(parsed));
  }
}

/**
 * Parse (if needed) and open a data set for reading in batches: CSV files and PNG folders are
 * checked in one pass and read from disk range by range, never held whole (the embedded MNIST is
 * small and loaded).
 */
export function openSamples(spec: string | DataSpec): SampleSource {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  switch (parsed.kind) {
    case 'mnist':
      return datasetSource(loadDataset(parsed), [0, 1]);
    case 'png':
      // planted anomalies change the images: those are made in memory
      return parsed.planted === null ? openPngFolder(parsed.dir) : datasetSource(loadDataset(parsed), [0, 1]);
    case 'csv':
      return openCsv(parsed.file, csvOptions(parsed));
  }
}
