/**
 * The names of the outlier explanation methods and the default composite of OC-DTD, for CLI help
 * and parsing (light: no tfjs, so that `--help` answers at once). The methods: outlier-methods.ts.
 */
import { UserError } from '../errors.ts';

export const OUTLIER_METHOD_NAMES = ['ocdtd', 'sa', 'gi', 'ig', 'nn', 'edge'] as const;
export type OutlierMethodName = (typeof OUTLIER_METHOD_NAMES)[number];

/** The LRP composite below the features for OC-DTD and NEON. */
export const DEFAULT_COMPOSITE = 'deep-taylor';

export function isOutlierMethod(name: string): name is OutlierMethodName {
  return (OUTLIER_METHOD_NAMES as readonly string[]).includes(name);
}

/** A method name from the user, checked against the registry. */
export function parseOutlierMethod(name: string, where = '--method'): OutlierMethodName {
  if (isOutlierMethod(name)) return name;
  throw new UserError(
    `${where}: unknown outlier explanation method '${name}'; allowed: ${OUTLIER_METHOD_NAMES.join(', ')}`,
  );
}

/** A comma-separated list of distinct outlier methods; names in `skip` (e.g. 'random', always run anyway) are dropped. */
export function parseOutlierMethodList(list: string, where: string, skip: readonly string[] = []): OutlierMethodName[] {
  const names = list
    .split(',')
    .map((m) => m.trim())
    .filter((m) => !skip.includes(m));
  if (names.length === 0 || names.every((m) => m === ''))
    throw new UserError(
      `${where}: give at least one method${skip.length ? ` besides ${skip.join(', ')}` : ''} (allowed: ${OUTLIER_METHOD_NAMES.join(', ')})`,
    );
  const methods = names.map((m) => parseOutlierMethod(m, where));
  const twice = methods.find((m, k) => methods.indexOf(m) !== k);
  if (twice) throw new UserError(`${where}: method '${twice}' is listed twice`);
  return methods;
}
