/** How a pixel-flipping curve is scaled before its area is taken (light: no tfjs, for option parsing). */
import { UserError } from '../errors.ts';

/**
 * By the starting score (score / start), or to the span between the start and the end of the flip
 * ((score − end) / (start − end), from 1 to 0), so that an offset which no flip removes (o(x) never
 * falls below min_j b_j) does not compress the areas (docs/methods.md#pixel-flipping).
 */
export const FLIP_NORMALIZATIONS = ['start', 'span'] as const;
export type FlipNormalization = (typeof FLIP_NORMALIZATIONS)[number];

export function parseNormalization(value: string, where = '--normalize'): FlipNormalization {
  if ((FLIP_NORMALIZATIONS as readonly string[]).includes(value)) return value as FlipNormalization;
  throw new UserError(`${where}: unknown normalisation '${value}'; allowed: ${FLIP_NORMALIZATIONS.join(', ')}`);
}
