/**
 * The choices of `oc-explain train` that only make sense together, checked before any work (and
 * without loading tfjs, so that the CLI answers at once).
 */
import { UserError } from '../errors.ts';
import { FEATURE_NETWORK_KINDS, isFeatureNetworkKind } from '../features/kinds.ts';
import type { GammaOption } from '../ocsvm/index.ts';

/** γ outside this range underflows or overflows in the float32 kernels and the outlierness 1/γ·log(…). */
export const GAMMA_RANGE = [1e-30, 1e30] as const;

export interface TrainChoices {
  /** 'pixels', 'cnn', 'mlp', 'ae', 'geo', several joined by '+', or 'model:PATH' */
  features: string;
  featureLayers?: string;
  epochs?: number;
  gamma: GammaOption;
  normal?: string[];
  perClass?: boolean;
}

export function checkTrainChoices(o: TrainChoices): void {
  const pixels = o.features === 'pixels';
  const model = o.features.startsWith('model:');
  const kinds = o.features.split('+').map((k) => k.trim());
  if (!pixels && !model && !kinds.every(isFeatureNetworkKind))
    throw new UserError(
      `--features: unknown kind '${o.features}'; allowed: pixels, ${FEATURE_NETWORK_KINDS.join(', ')}, several joined by + (ae+geo), model:PATH`,
    );
  if (model && o.features.slice('model:'.length).trim() === '')
    throw new UserError(`--features model:PATH needs the path of a tfjs layers model (its folder or model.json)`);
  if (pixels && o.featureLayers !== undefined)
    throw new UserError(
      '--layer picks a layer of a feature network; --features pixels has none (use cnn, mlp, ae, geo or model:PATH)',
    );
  if (pixels && o.epochs !== undefined)
    throw new UserError('--epochs trains a feature network; --features pixels has none (use cnn, mlp, ae or geo)');
  if (model && o.epochs !== undefined)
    throw new UserError('--epochs trains a feature network; a model:PATH network is used as it is');
  if (o.perClass && o.normal && o.normal.length > 0)
    throw new UserError('--per-class fits a model to every class, so no class is the anomaly: leave out --normal');
  if (typeof o.gamma === 'number' && !(o.gamma >= GAMMA_RANGE[0] && o.gamma <= GAMMA_RANGE[1]))
    throw new UserError(
      `--gamma ${o.gamma} is outside ${GAMMA_RANGE[0]}…${GAMMA_RANGE[1]}, where the float32 kernel still tells samples apart; use 'scale' or a value near it`,
    );
}
