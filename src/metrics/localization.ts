/**
 * How well a relevance map finds a ground-truth mask (docs/methods.md#localisation): the pixel-level
 * ROC AUC (relevance ranks the pixels, mask pixels are the positives, ties count one half) and the
 * precision of the |mask| most relevant pixels (ties at the cut shared in proportion, i.e. the
 * expected precision over every order of the tied pixels).
 */
import { UserError } from '../errors.ts';
import { rocAuc } from './roc-auc.ts';

function checkSizes(relevance: ArrayLike<number>, mask: ArrayLike<number>): void {
  if (relevance.length !== mask.length) {
    throw new UserError(`localisation: a relevance map of ${relevance.length} pixels against a mask of ${mask.length}`);
  }
}

function maskCount(mask: ArrayLike<number>): number {
  let count = 0;
  for (let p = 0; p < mask.length; p++) if (mask[p]) count++;
  return count;
}

/** ROC AUC of one map against one mask (nonzero = inside); NaN when the mask is empty or full. */
export function pixelAuc(relevance: ArrayLike<number>, mask: ArrayLike<number>): number {
  checkSizes(relevance, mask);
  const inside = maskCount(mask);
  if (inside === 0 || inside === mask.length) return NaN;
  return rocAuc(
    relevance,
    Array.from(mask, (m) => m !== 0),
  );
}

/**
 * Share of the |mask| most relevant pixels that lie in the mask. Pixels tied with the last one
 * taken fill the remaining places in proportion; NaN for an empty mask.
 */
export function topMaskPrecision(relevance: ArrayLike<number>, mask: ArrayLike<number>): number {
  checkSizes(relevance, mask);
  const k = maskCount(mask);
  if (k === 0) return NaN;
  for (let p = 0; p < relevance.length; p++) {
    if (Number.isNaN(relevance[p])) throw new UserError(`localisation: relevance of pixel ${p} is NaN`);
  }
  const order = Array.from({ length: relevance.length }, (_, p) => p).sort((a, b) => relevance[b] - relevance[a]);
  const cut = relevance[order[k - 1]];
  let above = 0;
  let aboveInside = 0;
  let tied = 0;
  let tiedInside = 0;
  for (let p = 0; p < relevance.length; p++) {
    const inside = mask[p] ? 1 : 0;
    if (relevance[p] > cut) {
      above++;
      aboveInside += inside;
    } else if (relevance[p] === cut) {
      tied++;
      tiedInside += inside;
    }
  }
  return (aboveInside + ((k - above) * tiedInside) / tied) / k;
}

export interface LocalisationScores {
  /** per sample */
  auc: number[];
  precision: number[];
}

/**
 * Both scores for every sample of a batch: `relevance` and `masks` are N maps of `pixels` values
 * each, row-major.
 */
export function localisationScores(relevance: Float32Array, masks: Uint8Array, pixels: number): LocalisationScores {
  checkSizes(relevance, masks);
  if (!(pixels >= 1) || masks.length % pixels !== 0) {
    throw new UserError(`localisation: ${masks.length} mask values are not whole maps of ${pixels} pixels`);
  }
  const n = masks.length / pixels;
  const auc: number[] = [];
  const precision: number[] = [];
  for (let s = 0; s < n; s++) {
    const r = relevance.subarray(s * pixels, (s + 1) * pixels);
    const m = masks.subarray(s * pixels, (s + 1) * pixels);
    auc.push(pixelAuc(r, m));
    precision.push(topMaskPrecision(r, m));
  }
  return { auc, precision };
}
