/** The names of the feature networks oc-explain trains (light: no tfjs, for checks before any work). */
import { UserError } from '../errors.ts';

/**
 *   cnn, mlp  classifiers trained on the labels
 *   ae        an autoencoder trained without labels to reconstruct its input
 *   geo       a CNN trained without labels to tell which flip or quarter turn was applied
 */
export const FEATURE_NETWORK_KINDS = ['cnn', 'mlp', 'ae', 'geo'] as const;
export type FeatureNetworkKind = (typeof FEATURE_NETWORK_KINDS)[number];

/** Whether a kind learns from the labels (and so needs two or more classes). */
export function usesLabels(kind: FeatureNetworkKind): boolean {
  return kind === 'cnn' || kind === 'mlp';
}

export function isFeatureNetworkKind(value: string): value is FeatureNetworkKind {
  return (FEATURE_NETWORK_KINDS as readonly string[]).includes(value);
}

export function parseFeatureNetworkKind(value: string, where: string): FeatureNetworkKind {
  if (isFeatureNetworkKind(value)) return value;
  throw new UserError(`${where}: unknown network '${value}'; allowed: ${FEATURE_NETWORK_KINDS.join(', ')}`);
}
