/** What a flipped pixel becomes in pixel flipping, as the CLI names it (light: no tfjs, for option parsing). */
import { UserError } from '../errors.ts';

export const REFERENCE_KINDS = ['nearest', 'zero', 'mean'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

export function parseReference(value: string, where = '--reference'): ReferenceKind {
  if ((REFERENCE_KINDS as readonly string[]).includes(value)) return value as ReferenceKind;
  throw new UserError(`${where}: unknown reference '${value}'; allowed: ${REFERENCE_KINDS.join(', ')}`);
}
