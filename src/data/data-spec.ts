/**
 * The data-set argument of the CLI: `SCHEME[:ARGS]`, where ARGS is a comma-separated list of
 * positional parts (a digit list, a path) and `key=value` options.
 */
import { UserError } from '../errors.ts';
import type { Dataset } from './dataset.ts';
import { loadCsv } from './csv.ts';
import { loadMnist } from './mnist.ts';
import { loadPngFolder } from './png-folder.ts';
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
];

export type DataSpec =
  | { kind: 'mnist'; digits: number[] | null; limit: number | null; planted: number | null }
  | { kind: 'png'; dir: string; planted: number | null }
  | { kind: 'csv'; file: string; label: string | null; header: boolean | null };

const OPTIONS: Record<DataSpec['kind'], string[]> = {
  mnist: ['limit', 'planted'],
  png: ['planted'],
  csv: ['label', 'header'],
};

/** `planted=RATE`: a share of the samples in (0, 0.5], or null when absent. */
function parsePlanted(spec: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const rate = Number(text);
  if (text.trim() === '' || !(rate > 0 && rate <= 0.5))
    throw new UserError(`data spec '${spec}': planted must be a share of the samples in (0, 0.5], got '${text}'`);
  return rate;
}

function formsText(): string {
  return DATA_SPEC_FORMS.map((f) => `  ${f}`).join('\n');
}

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
    return { kind: 'csv', file: path, label: label ?? null, header: parseHeader(spec, options.get('header')) };
  }
  throw new UserError(`unknown data set '${spec}'; allowed forms:\n${formsText()}`);
}

const planted = (ds: Dataset, rate: number | null) => (rate === null ? ds : withPlantedAnomalies(ds, rate));

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
      return loadCsv(parsed.file, { label: parsed.label ?? undefined, header: parsed.header ?? undefined });
  }
}
