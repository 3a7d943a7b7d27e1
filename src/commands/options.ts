/** Parsing of CLI option values: each failure names the option and what it allows. */
import { UserError } from '../errors.ts';
import type { GammaOption } from '../ocsvm/index.ts';
import {
  DEFAULT_OCDTD_VARIANT,
  OCDTD_VARIANT_NAMES,
  parseOcdtdVariant,
  type OcdtdVariant,
} from '../neuralize/ocdtd-variant-names.ts';

/** The --ocdtd option as the explain, evaluate, report and benchmark commands take it. */
export const OCDTD_OPTION = {
  flags: '--ocdtd <variant>',
  description: `OC-DTD variant: ${OCDTD_VARIANT_NAMES.join(', ')}, with parameters as name:k=5,kappa=4,deep=images (plain is the published method)`,
  default: DEFAULT_OCDTD_VARIANT,
} as const;

export function parseOcdtdOption(value: string): OcdtdVariant {
  return parseOcdtdVariant(value, '--ocdtd');
}

export function parseNumber(value: string, option: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new UserError(`${option} must be a number (got '${value}')`);
  return x;
}

export function parseCount(value: string, option: string, min = 1): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < min)
    throw new UserError(`${option} must be a whole number ≥ ${min} (got '${value}')`);
  return x;
}

export function parseNu(value: string): number {
  const nu = parseNumber(value, '--nu');
  if (!(nu > 0 && nu <= 1)) throw new UserError(`--nu must be in (0, 1] (got ${value})`);
  return nu;
}

export function parseGammaOption(value: string): GammaOption {
  if (value === 'scale' || value === 'auto') return value;
  const gamma = Number(value);
  if (!(gamma > 0) || !Number.isFinite(gamma))
    throw new UserError(`--gamma must be a positive number, 'scale' or 'auto' (got '${value}')`);
  return gamma;
}

export function parseIndexList(value: string, option: string, n: number): number[] {
  return value.split(',').map((part) => {
    const i = Number(part.trim());
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new UserError(`${option}: '${part}' is not a sample index in 0…${n - 1}`);
    return i;
  });
}
