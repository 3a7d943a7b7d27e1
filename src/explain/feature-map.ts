/**
 * The feature map x → φ(x) that a one-class SVM is fitted on, as one explainable network built
 * from a network's layers ("taps"): a layer with a flat output is taken as it is, a convolutional
 * map [h, w, c] is pooled over its positions to c values (its strongest response per channel, so
 * that a local artefact is not averaged away), `residual` is x − x̂ of an autoencoder; several
 * taps (of one network or of several) are concatenated. Extraction is the network's forward pass,
 * explanation its relevance pass: one definition of the features.
 */
import { tf } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { ExplainableNetwork, NETWORK_INPUT, type NetworkLayer } from './network.ts';
import { ConcatLayer } from './layers/concat.ts';
import { MaxPooling2DLayer } from './layers/max-pooling2d.ts';
import { ReshapeLayer } from './layers/reshape.ts';
import { ResidualLayer } from './layers/residual.ts';

/** The tap that is an autoencoder's reconstruction residual x − x̂ rather than a layer. */
export const RESIDUAL_TAP = 'residual';

/** Layer names a user can give as taps: the tfjs layers the network was read from. */
function tapNames(network: ExplainableNetwork): string[] {
  return [...new Set(network.layers.map((l) => l.name.split('/')[0]))];
}

const sampleSize = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Output shape of one sample after the network (a forward pass of one zero sample). */
export function outputShapeOf(network: ExplainableNetwork): number[] {
  const out = tf.tidy(() => network.forward(tf.zeros([1, ...network.inputShape])));
  const shape = out.shape.slice(1);
  out.dispose();
  return shape;
}

/** One tap: a layer of a network (or its residual). */
export interface Tap {
  network: ExplainableNetwork;
  layer: string;
}

/** Index of the last layer of tap `layer` (with its split-off activation, as upTo cuts). */
function tapIndex(network: ExplainableNetwork, layer: string): number {
  let last = -1;
  network.layers.forEach((l, i) => {
    if (l.name === layer || l.name.startsWith(`${layer}/`)) last = i;
  });
  if (last < 0)
    throw new UserError(`no layer named '${layer}'; its layers: ${[...tapNames(network), RESIDUAL_TAP].join(', ')}`);
  return last;
}

/** The same layer under another name (so that two networks with a 'flatten' each fit in one graph). */
function renamed<T extends NetworkLayer>(layer: T, name: string): T {
  return new Proxy(layer, {
    get: (target, key, receiver) => (key === 'name' ? name : Reflect.get(target, key, receiver)),
  });
}

/**
 * The feature map at `taps` (layers of one network, or of several networks that take the same
 * input) as one graph: the layers the taps need, a pooling of each convolutional tap, the
 * residuals, and a concatenation when there are several taps. Shares the layers of the networks,
 * which stay their owners; with several networks their layers appear as 'label/name' (`labels[k]`
 * of the k-th distinct network, default its number).
 */
export function featureMap(taps: readonly Tap[], labels: readonly string[] = []): ExplainableNetwork {
  if (taps.length === 0) throw new UserError('features: name at least one layer');
  const duplicate = taps.find((t, k) => taps.findIndex((u) => u.network === t.network && u.layer === t.layer) !== k);
  if (duplicate) throw new UserError(`features: layer '${duplicate.layer}' is named twice`);
  const networks = [...new Set(taps.map((t) => t.network))];
  const inputShape = networks[0].inputShape;
  if (networks.some((n) => !tf.util.arraysEqual([...n.inputShape], [...inputShape])))
    throw new Error('featureMap: the tapped networks take inputs of different shapes');
  const prefix = (network: ExplainableNetwork) =>
    networks.length > 1 ? `${labels[networks.indexOf(network)] ?? networks.indexOf(network)}/` : '';

  const layers: NetworkLayer[] = [];
  const sources: number[][] = [];
  const addLayer = (layer: NetworkLayer, from: number[]) => {
    sources.push(from);
    return layers.push(layer) - 1;
  };
  // where each network's layers landed in the graph
  const placed = new Map<ExplainableNetwork, Map<number, number>>();
  const place = (network: ExplainableNetwork, last: number): number => {
    const at = placed.get(network) ?? new Map<number, number>();
    placed.set(network, at);
    const needed = new Set<number>([last]);
    for (let k = last; k >= 0; k--) if (needed.has(k)) for (const j of network.sources[k]) if (j >= 0) needed.add(j);
    for (const k of [...needed].sort((a, b) => a - b)) {
      if (at.has(k)) continue;
      const layer = network.layers[k];
      const from = network.sources[k].map((j) => (j === NETWORK_INPUT ? NETWORK_INPUT : at.get(j)!));
      at.set(k, addLayer(prefix(network) ? renamed(layer, `${prefix(network)}${layer.name}`) : layer, from));
    }
    return at.get(last)!;
  };
  const outputs = taps.map(({ network, layer }) => {
    const name = `${prefix(network)}${layer}`;
    if (layer === RESIDUAL_TAP) {
      const shape = outputShapeOf(network);
      if (!tf.util.arraysEqual(shape, [...network.inputShape])) {
        throw new UserError(
          `feature '${RESIDUAL_TAP}' needs an autoencoder (output shaped like the input [${network.inputShape.join(', ')}]), but this network outputs [${shape.join(', ')}]`,
        );
      }
      return addLayer(new ResidualLayer(name, network), [NETWORK_INPUT]);
    }
    const out = place(network, tapIndex(network, layer));
    const shape = outputShapeOf(network.upToLayer(tapIndex(network, layer)));
    if (shape.length === 1) return out;
    if (shape.length !== 3) {
      throw new UserError(
        `layer '${layer}' has outputs of shape [${shape.join(', ')}]; features need flat or [h, w, c] maps`,
      );
    }
    const [h, w] = shape;
    const pooled = addLayer(new MaxPooling2DLayer(`${name}/global-max`, [h, w], [h, w], 'valid'), [out]);
    return addLayer(new ReshapeLayer(`${name}/flat`, [-1]), [pooled]);
  });
  if (outputs.length > 1) addLayer(new ConcatLayer('taps', 1), outputs);
  else if (outputs[0] !== layers.length - 1) throw new Error('featureMap: the single tap must end the graph');
  return new ExplainableNetwork(layers, inputShape, sources);
}

/** Values per sample of each tap, in order. */
export function tapSizes(taps: readonly Tap[], labels: readonly string[] = []): number[] {
  return taps.map((tap) => sampleSize(outputShapeOf(featureMap([tap], labels))));
}

/** The forward pass over rows of a flat array (whole samples), `batchSize` at a time, as one flat array. */
export function forwardRows(network: ExplainableNetwork, x: Float32Array, batchSize = 256): Float32Array {
  const size = network.inputShape.reduce((a, b) => a * b, 1);
  const n = x.length / size;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    parts.push(
      tf.tidy(() => {
        const batch = tf.tensor(x.subarray(start * size, (start + count) * size), [count, ...network.inputShape]);
        return network.forward(batch).dataSync() as Float32Array;
      }),
    );
  }
  const out = new Float32Array(parts.reduce((total, p) => total + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
