/**
 * The engine on graphs: a tensor used twice (fan-out) gets the sum of the relevance sent back,
 * an Add splits relevance in proportion to each input's contribution (LRP-0/ε, Zennit's Norm),
 * a Concat by slices — each against explicit float64 loops on a tiny graph; conservation through
 * residual blocks; graph networks survive the trip to a worker thread as data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initRuntime, tf } from '../src/runtime/runtime.ts';
import { ExplainableNetwork, NETWORK_INPUT, type NetworkLayer } from '../src/explain/network.ts';
import { DenseLayer } from '../src/explain/layers/dense.ts';
import { ReluLayer } from '../src/explain/layers/relu.ts';
import { AddLayer } from '../src/explain/layers/add.ts';
import { ConcatLayer } from '../src/explain/layers/concat.ts';
import { Conv2DLayer } from '../src/explain/layers/conv2d.ts';
import { GlobalAveragePooling2DLayer } from '../src/explain/layers/global-average-pooling2d.ts';
import { explainLRP, propagate } from '../src/explain/lrp.ts';
import { parseComposite } from '../src/explain/composites.ts';
import { DIVISION_GUARD, epsilonRule, lrp0 } from '../src/explain/rules.ts';
import { networkFromSpec, networkToSpec } from '../src/explain/network-spec.ts';
import {
  explicitDense,
  forwardExplicit,
  referenceRelevance,
  seededRandom,
  uniform,
  type ExplicitLinear,
  type RuleSpec,
} from './explain-lrp-reference.ts';

beforeAll(async () => {
  await initRuntime({ quiet: true });
});

const rand = seededRandom(13);
const matrix = (rows: number, cols: number) => Array.from({ length: rows }, () => uniform(rand, cols, -1, 1));
const asLayer = (name: string, l: ExplicitLinear) => new DenseLayer(name, tf.tensor2d(l.w), tf.tensor1d(l.b));
const relu = (v: number[]) => v.map((e) => Math.max(e, 0));
const stabilised = (z: number, e: number) => z + (z >= 0 ? e : -e);

// x → A → relu → (B, C) → join → D → logits; the relu output is used twice (fan-out)
const A = explicitDense(matrix(4, 3), uniform(rand, 3, -0.2, 0.2));
const B = explicitDense(matrix(3, 2), uniform(rand, 2, -0.2, 0.2));
const C = explicitDense(matrix(3, 2), uniform(rand, 2, -0.2, 0.2));
const Dadd = explicitDense(matrix(2, 2), uniform(rand, 2, -0.2, 0.2));
const Dcat = explicitDense(matrix(4, 2), uniform(rand, 2, -0.2, 0.2));
const X = [uniform(rand, 4, -1, 1), uniform(rand, 4, -1, 1)];

function graph(join: 'add' | 'concat'): ExplainableNetwork {
  const layers: NetworkLayer[] = [
    asLayer('A', A),
    new ReluLayer('relu'),
    asLayer('B', B),
    asLayer('C', C),
    join === 'add' ? new AddLayer('join') : new ConcatLayer('join', -1),
    asLayer('D', join === 'add' ? Dadd : Dcat),
  ];
  return new ExplainableNetwork(layers, [4], [[NETWORK_INPUT], [0], [1], [1], [2, 3], [4]]);
}

/** The same graph's relevance by plain loops, ε-rule (spec) in every dense layer. */
function reference(join: 'add' | 'concat', x: number[], target: number, spec: RuleSpec): number[] {
  const h = relu(forwardExplicit(A, x));
  const b = forwardExplicit(B, h);
  const c = forwardExplicit(C, h);
  const D = join === 'add' ? Dadd : Dcat;
  const joined = join === 'add' ? b.map((v, i) => v + c[i]) : [...b, ...c];
  const out = forwardExplicit(D, joined);
  const top = out.map((v, j) => (j === target ? v : 0));
  const Rj = referenceRelevance(spec, D, joined, top).relevance;
  let Rb: number[];
  let Rc: number[];
  if (join === 'add') {
    // Norm: each input's share of the sum, stabilised like LRP-0
    Rb = Rj.map((r, i) => (b[i] * r) / stabilised(b[i] + c[i], DIVISION_GUARD));
    Rc = Rj.map((r, i) => (c[i] * r) / stabilised(b[i] + c[i], DIVISION_GUARD));
  } else {
    Rb = Rj.slice(0, 2);
    Rc = Rj.slice(2);
  }
  const fromB = referenceRelevance(spec, B, h, Rb).relevance;
  const fromC = referenceRelevance(spec, C, h, Rc).relevance;
  const Rh = fromB.map((v, i) => v + fromC[i]); // fan-out: the sum
  return referenceRelevance(spec, A, x, Rh).relevance;
}

describe('graph networks against explicit loops', () => {
  for (const join of ['add', 'concat'] as const) {
    for (const [method, spec] of [
      ['lrp:epsilon=0.01', { rule: 'epsilon', epsilon: 0.01 }],
      ['lrp:z-plus', { rule: 'z-plus' }],
      ['lrp:alpha2-beta1', { rule: 'alpha-beta', alpha: 2, beta: 1 }],
    ] as const) {
      it(`${join}, ${method}`, () => {
        const net = graph(join);
        const x = tf.tensor2d(X);
        const r = explainLRP(net, x, { composite: parseComposite(method), target: 1 });
        const got = r.relevance.arraySync() as number[][];
        X.forEach((xi, n) => {
          const want = reference(join, xi, 1, spec);
          want.forEach((v, i) => expect(got[n][i]).toBeCloseTo(v, 5));
        });
        tf.dispose([x, r.relevance, r.output]);
        net.dispose();
      });
    }
  }

  it('forward pass and gradient of a graph equal the loops (gradient × input = LRP-0 without biases)', () => {
    const net = graph('add');
    const x = tf.tensor2d(X);
    const out = net.forward(x).arraySync() as number[][];
    X.forEach((xi, n) => {
      const h = relu(forwardExplicit(A, xi));
      const sum = forwardExplicit(B, h).map((v, i) => v + forwardExplicit(C, h)[i]);
      forwardExplicit(Dadd, sum).forEach((v, j) => expect(out[n][j]).toBeCloseTo(v, 5));
    });
    x.dispose();
    net.dispose();
  });
});

/** conv → relu → conv → add(skip) → relu → conv → add(skip) → relu → GAP → dense, no biases. */
function residualNetwork(seed: number): ExplainableNetwork {
  const r = seededRandom(seed);
  const conv = (name: string, cin: number, cout: number) =>
    new Conv2DLayer(name, tf.tensor4d(uniform(r, 9 * cin * cout, -0.5, 0.5), [3, 3, cin, cout]), null, [1, 1], 'same');
  const layers: NetworkLayer[] = [
    conv('stem', 2, 3), // 0
    new ReluLayer('stem/relu'), // 1
    conv('b1', 3, 3), // 2
    new ReluLayer('b1/relu'), // 3
    conv('b1b', 3, 3), // 4
    new AddLayer('add1'), // 5: b1b + stem/relu
    new ReluLayer('add1/relu'), // 6
    conv('b2', 3, 3), // 7
    new AddLayer('add2'), // 8: b2 + add1/relu
    new ReluLayer('add2/relu'), // 9
    new GlobalAveragePooling2DLayer('gap'), // 10
    // positive logit weights: z⁺ of the top layer is then positive too
    new DenseLayer('logits', tf.tensor2d(uniform(r, 6, 0.1, 1), [3, 2]), null), // 11
  ];
  const sources = [[-1], [0], [1], [2], [3], [4, 1], [5], [6], [7, 6], [8], [9], [10]];
  return new ExplainableNetwork(layers, [6, 6, 2], sources);
}

describe('Add as a linear layer of the rules', () => {
  it('without a rule it is LRP-0 (the direct form equals the routine); with ε it is the stabilised share', () => {
    const add = new AddLayer('add');
    const a = tf.tensor2d([[0.5, -1, 2, 0.001]]);
    const b = tf.tensor2d([[0.25, 0.75, -2, -0.001]]);
    const R = tf.tensor2d([[1, 2, 3, 4]]);
    const output = add.forward([a, b]);
    const direct = add.relevance([a, b], R, undefined, { output }).map((t) => Array.from(t.dataSync()));
    const routine = add.relevance([a, b], R, lrp0(), { output }).map((t) => Array.from(t.dataSync()));
    direct.forEach((v, k) => v.forEach((e, i) => expect(e).toBeCloseTo(routine[k][i], 5)));
    const eps = add.relevance([a, b], R, epsilonRule(0.01), { output }).map((t) => Array.from(t.dataSync()));
    const [av, bv, Rv] = [a, b, R].map((t) => Array.from(t.dataSync()));
    av.forEach((x, i) => {
      const z = stabilised(x + bv[i], 0.01);
      expect(eps[0][i]).toBeCloseTo((x * Rv[i]) / z, 5);
      expect(eps[1][i]).toBeCloseTo((bv[i] * Rv[i]) / z, 5);
    });
    tf.dispose([a, b, R, output]);
    add.dispose();
  });
});

describe('residual blocks', () => {
  it('conserve Σ R = logit with z⁺ and LRP-0 (no biases)', () => {
    const net = residualNetwork(5);
    const x = tf.randomUniform([3, 6, 6, 2], 0, 1, 'float32', 3);
    for (const method of ['lrp:z-plus', 'lrp:0']) {
      const r = propagate(net, x, (out) => tf.mul(out, tf.tensor2d([[0, 1]])), parseComposite(method), {
        returnLayers: true,
      });
      const logit = tf.tidy(() => tf.slice(r.output, [0, 1], [-1, 1]).dataSync());
      const sums = tf.tidy(() => tf.sum(r.relevance, [1, 2, 3]).dataSync());
      for (let n = 0; n < 3; n++) expect(sums[n]).toBeCloseTo(logit[n], 4);
      tf.dispose([r.relevance, r.output, ...(r.layers ?? [])]);
    }
    x.dispose();
    net.dispose();
  });

  it('as data for a worker thread: the same network, the same relevance; tensor count stable', () => {
    const net = residualNetwork(6);
    const copy = networkFromSpec(networkToSpec(net));
    expect(copy.sources).toEqual(net.sources);
    const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 4);
    const composite = parseComposite('lrp:epsilon-plus-flat');
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const a = explainLRP(net, x, { composite, target: 0 });
      const b = explainLRP(copy, x, { composite, target: 0 });
      expect(Array.from(b.relevance.dataSync())).toEqual(Array.from(a.relevance.dataSync()));
      tf.dispose([a.relevance, a.output, b.relevance, b.output]);
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    net.dispose();
    copy.dispose();
  });
});
