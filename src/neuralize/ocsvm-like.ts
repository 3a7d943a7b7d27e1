/**
 * The fitted one-class SVM as neuralization reads it: any object of this shape (the OneClassSVM of
 * src/ocsvm, a model loaded from JSON, a hand-made one in a test). Checked once, here.
 */
import { UserError } from '../errors.ts';

export interface OcsvmLike {
  /** 'rbf' / 'gaussian' (‖x−u‖²) or 'laplacian' (‖x−u‖₁) */
  readonly kernel: string;
  readonly gamma: number;
  readonly rho: number;
  readonly nu: number;
  /** number l of training samples */
  readonly nTrain: number;
  /** α of the support vectors, 0 < α ≤ 1, Σα = νl */
  readonly dualCoef: ArrayLike<number>;
  /** support vectors, row-major, one row per α */
  readonly supportVectors: Float32Array;
}

/** p of the distance ‖x − u‖_p^p that the kernel exponentiates: 2 (Gaussian) or 1 (Laplacian). */
export type DistancePower = 1 | 2;

export function kernelPower(kernel: string): DistancePower {
  if (kernel === 'rbf' || kernel === 'gaussian') return 2;
  if (kernel === 'laplacian') return 1;
  throw new UserError(
    `neuralize: kernel '${kernel}' is not a distance kernel; allowed: rbf (alias gaussian), laplacian`,
  );
}

export interface CheckedOcsvm {
  power: DistancePower;
  /** ν·l */
  scale: number;
  nSupport: number;
  dim: number;
}

/** Validates the model's numbers and shapes, saying which field is wrong. */
export function checkOcsvm(model: OcsvmLike): CheckedOcsvm {
  const power = kernelPower(model.kernel);
  const fail = (what: string) => {
    throw new UserError(`neuralize: the one-class SVM model ${what}`);
  };
  if (!(Number.isFinite(model.gamma) && model.gamma > 0))
    fail(`has gamma ${model.gamma}; it must be a positive number`);
  if (!(model.nu > 0 && model.nu <= 1)) fail(`has nu ${model.nu}; it must be in (0, 1]`);
  if (!(Number.isInteger(model.nTrain) && model.nTrain >= 1))
    fail(`has nTrain ${model.nTrain}; it must be a positive integer`);
  if (!Number.isFinite(model.rho)) fail(`has rho ${model.rho}; it must be a finite number`);
  const nSupport = model.dualCoef.length;
  if (nSupport < 1) fail('has no support vectors');
  if (model.supportVectors.length % nSupport !== 0) {
    fail(
      `has ${model.supportVectors.length} support-vector values, not a whole row for each of its ${nSupport} coefficients`,
    );
  }
  for (let j = 0; j < nSupport; j++) {
    const a = model.dualCoef[j];
    if (!(Number.isFinite(a) && a >= 0))
      fail(`has dual coefficient ${a} at support vector ${j}; each must be a finite number ≥ 0`);
  }
  for (let t = 0; t < model.supportVectors.length; t++) {
    if (!Number.isFinite(model.supportVectors[t]))
      fail(`has a non-finite value in support vector ${Math.floor(t / (model.supportVectors.length / nSupport))}`);
  }
  return { power, scale: model.nu * model.nTrain, nSupport, dim: model.supportVectors.length / nSupport };
}
