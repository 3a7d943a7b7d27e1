/**
 * The layers of the OC-DTD variants (named and parsed in ocdtd-variant-names.ts;
 * docs/methods.md#ocdtd-variants): distance and pooling layers like the SVM's own, the hull
 * distance, the excess over θ, and below a feature network the root-image layer.
 */
import { UserError } from '../errors.ts';
import { ExplainableNetwork, type ExplainableLayer } from '../explain/network.ts';
import { DistanceLayer } from './distance-layer.ts';
import { HardMinPoolingLayer, SoftMinPoolingLayer } from './min-pooling.ts';
import { OutlierExcessLayer } from './excess-layer.ts';
import { HullDistanceLayer } from './hull-distance-layer.ts';
import { outliernessThreshold } from './neuralize.ts';
import { checkOcsvm, type OcsvmLike } from './ocsvm-like.ts';
import { variantLabel, type OcdtdVariant } from './ocdtd-variant-names.ts';
import { chosenSupportVectors, supportDistanceLayer } from './support-distance.ts';
import { RootImageLayer } from './root-image-layer.ts';
import { pickRows } from '../data/split.ts';

export interface VariantSources {
  /**
   * the training inliers as the distance layer sees them (pixels, or their features): rows of the
   * SVM's dimension; needed by the variants on inlier prototypes
   */
  inliers?: Float32Array;
  /** deep=images: the inliers' images, in the order of `inliers` */
  inlierImages?: Float32Array;
  /** deep=images: the support vectors' images, in the model's order */
  supportImages?: Float32Array;
}

/**
 * The layers from the SVM's input (pixels or features) to the variant's explained output: distance
 * and pooling (and the excess), or the hull distance. The caller disposes them.
 */
export function variantLayers(
  model: OcsvmLike,
  variant: OcdtdVariant,
  sources: VariantSources = {},
  prefix = 'ocdtd',
): ExplainableLayer[] {
  const { power, scale, dim } = checkOcsvm(model);
  const gamma = model.gamma;
  const options = { leaveSelfOut: variant.leaveSelfOut };
  if (variant.prototypes === 'inliers') {
    const rows = sources.inliers;
    if (!rows || rows.length === 0 || rows.length % dim !== 0) {
      throw new UserError(
        `OC-DTD variant '${variant.name}' needs the training inliers as rows of ${dim} values (the SVM's input dimension)`,
      );
    }
    const count = rows.length / dim;
    if (variant.pooling === 'hull') return [new HullDistanceLayer(`${prefix}/hull`, rows, dim, variant.k!, options)];
    // every inlier weighs 1/n: b = (1/γ) log n
    const distance = new DistanceLayer(
      `${prefix}/distance`,
      rows,
      new Float32Array(count).fill(Math.log(count) / gamma),
      power,
      options,
    );
    return [distance, pooling(variant, gamma, prefix)];
  }
  const distance = supportDistanceLayer(model, `${prefix}/distance`, variant.prototypes, options);
  const layers: ExplainableLayer[] = [distance, pooling(variant, gamma, prefix)];
  if (variant.explain === 'excess') {
    const threshold = outliernessThreshold(gamma, model.rho, scale);
    if (!Number.isFinite(threshold)) {
      layers.forEach((l) => l.dispose());
      throw new UserError(`OC-DTD variant 'excess': the one-class SVM has ρ ≤ 0, so no threshold θ (and no outlier)`);
    }
    layers.push(new OutlierExcessLayer(`${prefix}/excess`, threshold));
  }
  return layers;
}

function pooling(variant: OcdtdVariant, gamma: number, prefix: string): ExplainableLayer {
  return variant.pooling === 'hard'
    ? new HardMinPoolingLayer(`${prefix}/min-pooling`)
    : new SoftMinPoolingLayer(`${prefix}/min-pooling`, variant.kappa * gamma, variant.k);
}

export interface VariantNetwork {
  /** input → the variant's explained output */
  network: ExplainableNetwork;
  /** frees the variant's own layers (not the feature network) */
  dispose(): void;
}

/**
 * The whole network of a variant: its layers after the feature network (or alone on pixels, of
 * `inputShape`); with deep=images and a feature network, one root-image layer instead.
 */
export function variantNetwork(
  model: OcsvmLike,
  variant: OcdtdVariant,
  features: ExplainableNetwork | null,
  inputShape: readonly number[],
  sources: VariantSources = {},
): VariantNetwork {
  const layers = variantLayers(model, variant, sources);
  const disposeLayers = () => layers.forEach((l) => l.dispose());
  if (!features) return { network: new ExplainableNetwork(layers, inputShape), dispose: disposeLayers };
  if (variant.deep === 'lrp') return { network: features.extend(...layers), dispose: disposeLayers };
  const size = inputShape.reduce((a, b) => a * b, 1);
  const images =
    variant.prototypes === 'inliers'
      ? sources.inlierImages
      : sources.supportImages && pickRows(sources.supportImages, chosenSupportVectors(model, variant.prototypes), size);
  if (!images) {
    disposeLayers();
    throw new UserError(
      `OC-DTD variant '${variantLabel(variant)}' needs the images of its prototypes (deep=${variant.deep})`,
    );
  }
  const root = new RootImageLayer(
    'ocdtd/root-image',
    features,
    layers,
    images,
    variant.deep === 'projection' ? 'pixels' : 'features',
  );
  return {
    network: new ExplainableNetwork([root], inputShape),
    dispose: () => {
      root.dispose();
      disposeLayers();
    },
  };
}
