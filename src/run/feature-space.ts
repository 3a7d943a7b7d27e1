/**
 * The space the one-class SVM works in: raw pixels, or the values of layers ("taps") of one or
 * more feature networks that take the same input (see explain/feature-map.ts), with the blocks
 * the scaling treats as one (features/standardizer.ts). One definition serves training
 * (extraction), explaining (the same map as an explainable network) and bench/detection.ts.
 */
import type { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { sampleSize } from '../data/dataset.ts';
import { FEATURES_LAYER } from '../features/feature-network.ts';
import { defaultFeatureLayer } from '../features/extractor.ts';
import type { FeatureNetworkKind } from '../features/network-kinds.ts';
import type { FeatureBlock } from '../features/standardizer.ts';
import { fromLayersModel } from '../explain/from-layers-model.ts';
import { RESIDUAL_TAP, featureMap, forwardRows, tapSizes } from '../explain/feature-map.ts';
import { ExplainableNetwork } from '../explain/network.ts';
import { defaultFeatureLayerOf } from './explainable-model.ts';

/** The layers each trained network gives its features from by default (bench/detection.ts). */
export const DEFAULT_TAPS: Readonly<Record<FeatureNetworkKind, readonly string[]>> = {
  cnn: [FEATURES_LAYER],
  mlp: [FEATURES_LAYER],
  ae: [RESIDUAL_TAP],
  geo: [FEATURES_LAYER],
};

/** A layer of the space's `network`-th network. */
export interface NetworkTap {
  network: number;
  layer: string;
}

/** A feature network: a tfjs model (read into an explainable network) or an explainable network (an ONNX file). */
export type FeatureModel = tf.LayersModel | ExplainableNetwork;

export class FeatureSpace {
  /** the networks the map reads (none for pixels) */
  readonly networks: readonly ExplainableNetwork[];
  /** those read from tfjs models here, freed by dispose() (explainable networks given stay the caller's) */
  private readonly owned: readonly ExplainableNetwork[];
  /** names of the networks in messages ('ae', 'geo'), when there are several */
  readonly labels: readonly string[];
  readonly taps: readonly NetworkTap[];
  /** input → features (unscaled), or null for raw pixels */
  readonly map: ExplainableNetwork | null;
  /** how the scaling groups the features (a block per tap), or null: raw pixels are not scaled */
  readonly blocks: readonly FeatureBlock[] | null;
  readonly sampleShape: readonly number[];
  /** features per sample */
  readonly dim: number;

  private constructor(
    networks: ExplainableNetwork[],
    owned: ExplainableNetwork[],
    labels: readonly string[],
    taps: readonly NetworkTap[],
    sampleShape: readonly number[],
  ) {
    this.networks = networks;
    this.owned = owned;
    this.labels = [...labels];
    this.taps = taps.map((t) => ({ ...t }));
    this.sampleShape = [...sampleShape];
    if (networks.length === 0) {
      this.map = null;
      this.blocks = null;
      this.dim = sampleSize({ sampleShape: [...sampleShape] });
      return;
    }
    const located = taps.map((t) => {
      const network = networks[t.network];
      if (!network) throw new Error(`feature space: tap of network ${t.network}, but there are ${networks.length}`);
      return { network, layer: t.layer };
    });
    const distinct = [...new Set(taps.map((t) => t.network))];
    this.map = featureMap(
      located,
      distinct.map((k) => labels[k] ?? String(k)),
    );
    const sizes = tapSizes(located);
    this.blocks = taps.map((t, k) => ({ size: sizes[k], perFeature: t.layer !== RESIDUAL_TAP }));
    this.dim = sizes.reduce((a, b) => a + b, 0);
  }

  static pixels(sampleShape: readonly number[]): FeatureSpace {
    return new FeatureSpace([], [], [], [], sampleShape);
  }

  /**
   * The space of `models` at `taps`; one model without taps gives its last hidden activation
   * layer. `labels` name the models when there are several.
   */
  static ofModels(
    models: readonly FeatureModel[],
    taps?: readonly NetworkTap[],
    labels: readonly string[] = [],
  ): FeatureSpace {
    const owned: ExplainableNetwork[] = [];
    try {
      const networks = models.map((model) => {
        if (model instanceof ExplainableNetwork) return model;
        const network = fromLayersModel(model);
        owned.push(network);
        return network;
      });
      const first = models[0];
      const layer = first instanceof ExplainableNetwork ? defaultFeatureLayerOf(first) : defaultFeatureLayer(first);
      return new FeatureSpace(networks, owned, labels, taps ?? [{ network: 0, layer }], networks[0].inputShape);
    } catch (e) {
      for (const network of owned) network.dispose();
      throw e;
    }
  }

  /** The space of one model at `layers` (default: its last hidden activation layer). */
  static ofModel(model: FeatureModel, layers?: readonly string[]): FeatureSpace {
    return FeatureSpace.ofModels(
      [model],
      layers?.map((layer) => ({ network: 0, layer })),
    );
  }

  /** The taps as --layer takes them: 'conv2', or 'ae:residual' with several networks; none for pixels. */
  get tapNames(): string[] {
    return this.taps.map((t) =>
      this.networks.length > 1 ? `${this.labels[t.network] ?? t.network}:${t.layer}` : t.layer,
    );
  }

  /** What it computes, for messages: 'pixels', 'conv2+features', 'ae:residual+geo:features'. */
  get name(): string {
    return this.map ? this.tapNames.join('+') : 'pixels';
  }

  /** Features of whole samples (row-major), n × dim, unscaled; raw pixels are `x` itself. */
  extract(x: Float32Array): Float32Array {
    return this.map ? forwardRows(this.map, x) : x;
  }

  /** Frees the networks it read from tfjs models; the space is unusable afterwards. */
  dispose(): void {
    for (const network of this.owned) network.dispose();
  }
}

/**
 * `--layer` for networks of `kinds`: names separated by commas; with several networks each name
 * says its network ('geo:features'). Without `text`, each network's default layers.
 */
export function parseTaps(
  text: string | undefined,
  kinds: readonly string[],
  defaults: readonly (readonly string[])[],
): NetworkTap[] {
  if (text === undefined) return defaults.flatMap((layers, network) => layers.map((layer) => ({ network, layer })));
  const names = text.split(',').map((t) => t.trim());
  if (names.some((t) => t === '')) throw new UserError(`--layer: give layer names separated by commas, got '${text}'`);
  if (kinds.length === 1) return names.map((layer) => ({ network: 0, layer }));
  return names.map((name) => {
    const colon = name.indexOf(':');
    const network = kinds.indexOf(name.slice(0, colon));
    if (colon < 0 || network < 0)
      throw new UserError(
        `--layer ${name}: with several networks say whose layer it is (${kinds.map((k) => `${k}:LAYER`).join(', ')})`,
      );
    return { network, layer: name.slice(colon + 1) };
  });
}
