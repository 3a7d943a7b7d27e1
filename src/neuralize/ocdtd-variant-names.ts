/**
 * OC-DTD variants (docs/methods.md#ocdtd-variants): which function of x is explained, built as
 * the same two kinds of layers as the SVM itself (a distance layer, a pooling layer) and appended
 * to the feature network like it. Every variant is named; `name:k=5,kappa=4` overrides its
 * parameters. The published method is `plain`: the SVM's own o(x), exactly.
 *
 *   plain     soft minimum at γ over all support vectors: o(x)
 *   self-out  plain, but a training sample's own support vector left out: o₋(x)
 *   free      the free support vectors only (on the boundary: no training outlier among them)
 *   sharp     soft minimum at κγ (κ > 1) over all support vectors
 *   hard      the nearest support vector by h_j (κ → ∞)
 *   nearest   soft minimum at γ over the k nearest support vectors
 *   excess    o(x) − θ, the excess over the threshold, shared by the soft-min weights
 *   inliers   soft minimum at κγ over the k nearest training inliers (a density-style explanation)
 *   hull      distance to the convex hull of the k nearest training inliers (below a feature
 *             network: the nearest point of the hull of their images is the root point)
 * All but plain leave the explained sample's own prototype out when it is one.
 */
import { UserError } from '../errors.ts';

/** The variant `explain`, `evaluate`, `report` and the library use unless told otherwise (see the README's benchmark). */
export const DEFAULT_OCDTD_VARIANT = 'hull';

export const OCDTD_VARIANT_NAMES = [
  'plain',
  'self-out',
  'free',
  'sharp',
  'hard',
  'nearest',
  'excess',
  'inliers',
  'hull',
] as const;
export type OcdtdVariantName = (typeof OCDTD_VARIANT_NAMES)[number];

export type PrototypeSet = 'support' | 'free' | 'inliers';
export type VariantPooling = 'soft' | 'hard' | 'hull';

export interface OcdtdVariant {
  name: OcdtdVariantName;
  prototypes: PrototypeSet;
  pooling: VariantPooling;
  /** soft pooling: temperature κγ */
  kappa: number;
  /** soft pooling over the k nearest prototypes only; the hull's k; undefined = all */
  k?: number;
  leaveSelfOut: boolean;
  /** explain o(x) or o(x) − θ */
  explain: 'outlierness' | 'excess';
  /**
   * below a feature network: the composite's LRP rules ('lrp'), or the difference to the root
   * point's image ('images', see root-image-layer.ts); no effect on pixel features
   */
  deep: DeepPath;
}

export const DEEP_PATHS = ['lrp', 'images', 'projection'] as const;
export type DeepPath = (typeof DEEP_PATHS)[number];

const PRESETS: Readonly<Record<OcdtdVariantName, Omit<OcdtdVariant, 'name'>>> = {
  plain: { prototypes: 'support', pooling: 'soft', kappa: 1, leaveSelfOut: false, explain: 'outlierness', deep: 'lrp' },
  'self-out': {
    prototypes: 'support',
    pooling: 'soft',
    kappa: 1,
    leaveSelfOut: true,
    explain: 'outlierness',
    deep: 'lrp',
  },
  free: { prototypes: 'free', pooling: 'soft', kappa: 1, leaveSelfOut: true, explain: 'outlierness', deep: 'lrp' },
  sharp: { prototypes: 'support', pooling: 'soft', kappa: 4, leaveSelfOut: true, explain: 'outlierness', deep: 'lrp' },
  hard: { prototypes: 'support', pooling: 'hard', kappa: 1, leaveSelfOut: true, explain: 'outlierness', deep: 'lrp' },
  nearest: {
    prototypes: 'support',
    pooling: 'soft',
    kappa: 1,
    k: 10,
    leaveSelfOut: true,
    explain: 'outlierness',
    deep: 'lrp',
  },
  excess: { prototypes: 'support', pooling: 'soft', kappa: 1, leaveSelfOut: true, explain: 'excess', deep: 'lrp' },
  inliers: {
    prototypes: 'inliers',
    pooling: 'soft',
    kappa: 4,
    k: 5,
    leaveSelfOut: true,
    explain: 'outlierness',
    deep: 'lrp',
  },
  hull: {
    prototypes: 'inliers',
    pooling: 'hull',
    kappa: 1,
    k: 10,
    leaveSelfOut: true,
    explain: 'outlierness',
    deep: 'projection',
  },
};

export const OCDTD_VARIANT_DESCRIPTIONS: Readonly<Record<OcdtdVariantName, string>> = {
  plain: 'the published OC-DTD: soft minimum at γ over all support vectors, explains o(x)',
  'self-out': "plain, with a training sample's own support vector left out (explains o₋(x))",
  free: 'soft minimum over the free support vectors only (no training outlier as prototype)',
  sharp: 'soft minimum at κγ (kappa, default 4) over all support vectors',
  hard: 'the nearest support vector only (hard minimum)',
  nearest: 'soft minimum at γ over the k (default 10) nearest support vectors',
  excess: 'explains o(x) − θ, the excess over the threshold',
  inliers: 'soft minimum at κγ (default 4) over the k (default 5) nearest training inliers',
  hull: 'distance to the convex hull of the k (default 10) nearest training inliers; deep: the nearest point of their images’ hull as root',
};

/** The variant `text` = `name[:key=value,…]` (keys k and kappa), checked. */
export function parseOcdtdVariant(text: string, where = '--ocdtd'): OcdtdVariant {
  const [name, params] = text.split(':', 2) as [string, string | undefined];
  if (!(OCDTD_VARIANT_NAMES as readonly string[]).includes(name)) {
    throw new UserError(`${where}: unknown OC-DTD variant '${name}'; allowed: ${OCDTD_VARIANT_NAMES.join(', ')}`);
  }
  const variant: OcdtdVariant = { name: name as OcdtdVariantName, ...PRESETS[name as OcdtdVariantName] };
  for (const pair of params ? params.split(',') : []) {
    const [key, value] = pair.split('=', 2);
    const number = Number(value);
    if (key === 'k' && Number.isInteger(number) && number >= 1 && variant.pooling !== 'hard') variant.k = number;
    else if (key === 'kappa' && number >= 1 && variant.pooling === 'soft') variant.kappa = number;
    else if (key === 'deep' && (DEEP_PATHS as readonly string[]).includes(value)) variant.deep = value as DeepPath;
    else {
      throw new UserError(
        `${where}: '${pair}' is not a parameter of variant '${name}' (k: a whole number ≥ 1, kappa: a number ≥ 1 for soft pooling, deep: ${DEEP_PATHS.join(' or ')})`,
      );
    }
  }
  if (variant.pooling === 'hull' && variant.k === undefined) throw new UserError(`${where}: the hull needs k`);
  return variant;
}

/** The variant as text that parses back to it: the name, and the parameters that differ from its preset. */
export function variantLabel(variant: OcdtdVariant): string {
  const preset = PRESETS[variant.name];
  const params: string[] = [];
  if (variant.k !== preset.k && variant.k !== undefined) params.push(`k=${variant.k}`);
  if (variant.kappa !== preset.kappa) params.push(`kappa=${variant.kappa}`);
  if (variant.deep !== preset.deep) params.push(`deep=${variant.deep}`);
  return params.length ? `${variant.name}:${params.join(',')}` : variant.name;
}
