/**
 * Where each axis of an ONNX tensor sits in the engine's tensor. ONNX images are NCHW; the engine
 * works in NHWC (tfjs), so an image tensor is held with its channel axis last. perm[i] is the ONNX
 * axis held at axis i (the batch axis stays first).
 */
export type Perm = readonly number[];

export const identityPerm = (rank: number): Perm => Array.from({ length: rank }, (_, i) => i);

/** NCHW held as NHWC (for rank 4); identity for other ranks. */
export const channelsLast = (rank: number): Perm => (rank === 4 ? [0, 2, 3, 1] : identityPerm(rank));

export const samePerm = (a: Perm, b: Perm) => a.length === b.length && a.every((v, i) => v === b[i]);

/** The transpose that turns a tensor held as `from` into one held as `to` (out axis i = in axis p[i]). */
export function transposeBetween(from: Perm, to: Perm): number[] {
  return to.map((axis) => from.indexOf(axis));
}

/** The ONNX shape (batch axis included) of a tensor held as `perm` with shape `held`. */
export function onnxShape(held: readonly number[], perm: Perm): number[] {
  const shape: number[] = [];
  perm.forEach((axis, i) => (shape[axis] = held[i]));
  return shape;
}
