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
import { ExplainableNetwork } from './network.ts';
import { ConcatBranchesLayer } from './layers/concat-branches.ts';
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
function outputShapeOf(network: ExplainableNetwork): number[] {
  const out = tf.tidy(() => network.forward(tf.zeros([1, ...network.inputShape])));
  const shape = out.shape.slice(1);
  out.dispose();
  return shape;
}

/** The branch of one tap: input → the tap's values, flat [N, d]. Shares the layers of `network`. */
function tapBranch(network: ExplainableNetwork, tap: string): ExplainableNetwork {
  if (tap === RESIDUAL_TAP) {
    const shape = outputShapeOf(network);
    if (!tf.util.arraysEqual(shape, [...network.inputShape])) {
      throw new UserError(
        `feature '${RESIDUAL_TAP}' needs an autoencoder (output shaped like the input [${network.inputShape.join(', ')}]), but this network outputs [${shape.join(', ')}]`,
      );
    }
    return new ExplainableNetwork([new ResidualLayer(RESIDUAL_TAP, network)], network.inputShape);
  }
  if (!tapNames(network).includes(tap)) {
    throw new UserError(`no layer named '${tap}'; its layers: ${[...tapNames(network), RESIDUAL_TAP].join(', ')}`);
  }
  const upTo = network.upTo(tap);
  const shape = outputShapeOf(upTo);
  if (shape.length === 1) return upTo;
  if (shape.length !== 3) {
    throw new UserError(
      `layer '${tap}' has outputs of shape [${shape.join(', ')}]; features need flat or [h, w, c] maps`,
    );
  }
  const [h, w] = shape;
  return upTo.extend(
    new MaxPooling2DLayer(`${tap}/global-max`, [h, w], [h, w], 'valid'),
    new ReshapeLayer(`${tap}/flat`, [-1]),
  );
}

/** One tap: a layer of a network (or its residual). */
export interface Tap {
  network: ExplainableNetwork;
  layer: string;
}

/** Values per sample of each tap's branch. */
export function tapSizes(taps: readonly Tap[]): number[] {
  return taps.map(({ network, layer }) => sampleSize(outputShapeOf(tapBranch(network, layer))));
}

/**
 * The feature map at `taps` (layers of one network, or of several networks that take the same
 * input), their values side by side. Shares the layers of the networks, which stay their owners.
 */
export function featureMap(taps: readonly Tap[]): ExplainableNetwork {
  if (taps.length === 0) throw new UserError('features: name at least one layer');
  const duplicate = taps.find((t, k) => taps.findIndex((u) => u.network === t.network && u.layer === t.layer) !== k);
  if (duplicate) throw new UserError(`features: layer '${duplicate.layer}' is named twice`);
  const inputShape = taps[0].network.inputShape;
  if (taps.some((t) => !tf.util.arraysEqual([...t.network.inputShape], [...inputShape])))
    throw new Error('featureMap: the tapped networks take inputs of different shapes');
  const branches = taps.map((t) => tapBranch(t.network, t.layer));
  const layers = branches.length === 1 ? branches[0].layers : [new ConcatBranchesLayer('taps', branches)];
  return new ExplainableNetwork(layers, inputShape);
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
