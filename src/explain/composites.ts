/**
 * Composites: which rule each layer of a network gets — by layer name, for the first layer with
 * weights, or by layer kind (docs/methods.md#composites; names as in the common toolboxes).
 * Layers no entry matches get no rule (linear layers then use LRP-0).
 */
import { UserError } from '../errors.ts';
import { COMPOSITE_NAMES, type CompositeKey } from './method-names.ts';
import type { ExplainableNetwork, NetworkLayer, Tensor } from './network.ts';
import {
  alphaBetaRule,
  epsilonRule,
  flatRule,
  gammaRule,
  lrp0,
  wSquareRule,
  zBoxRule,
  zPlusRule,
  type Rule,
} from './rules.ts';

export interface Composite {
  readonly name: string;
  /** rules for specific layers, by layer name (wins over everything else) */
  readonly byName?: Readonly<Record<string, Rule>>;
  /** rule for the first layer with weights (dense or conv2d) */
  readonly first?: Rule;
  /** rules by layer kind */
  readonly byKind?: Readonly<Record<string, Rule>>;
}

/** Layer kinds that carry weights, of which the first gets the composite's `first` rule. */
const WEIGHTED_KINDS = new Set(['dense', 'conv2d']);

/** The rule of every layer of `network` under `composite` (undefined: the layer's default). */
export function assignRules(network: ExplainableNetwork, composite: Composite): (Rule | undefined)[] {
  const firstWeighted = network.layers.findIndex((l) => WEIGHTED_KINDS.has(l.kind));
  return network.layers.map((layer: NetworkLayer, index) => {
    if (composite.byName && Object.hasOwn(composite.byName, layer.name)) return composite.byName[layer.name];
    if (index === firstWeighted && composite.first) return composite.first;
    return composite.byKind?.[layer.kind];
  });
}

/** The same rule for every dense and conv layer. */
export function uniformComposite(rule: Rule, name = rule.name): Composite {
  return { name, byKind: { dense: rule, conv2d: rule } };
}

export interface CompositeOptions {
  /** ε of the ε-rule (default 1e-6, as in Zennit) */
  epsilon?: number;
  /** γ of the γ-rule (default 0.25) */
  gamma?: number;
  /** pixel bounds of z^B (default 0 and 1: images in [0, 1]); a number or a tensor like one sample */
  low?: number | Tensor;
  high?: number | Tensor;
  /**
   * inputs are not bounded (deep-taylor then uses w² instead of z^B at the first layer); the
   * composites built on z^B then need explicit low and high (e.g. the data's per-feature range)
   */
  unbounded?: boolean;
}

/** z^B with the options' bounds: given ones, else [0, 1] for images; unbounded inputs without bounds are refused. */
function boxRule(o: CompositeOptions, composite: string): Rule {
  if (o.unbounded && (o.low === undefined || o.high === undefined)) {
    throw new UserError(
      `lrp:${composite} applies z^B, which needs lower and upper bounds on every input, but these inputs are not images in [0, 1] and no bounds were given; use lrp:deep-taylor (w² at the first layer), lrp:epsilon-plus or lrp:epsilon-plus-flat`,
    );
  }
  return zBoxRule(o.low ?? 0, o.high ?? 1);
}

export function epsilonPlus(o: CompositeOptions = {}): Composite {
  return { name: 'epsilon-plus', byKind: { conv2d: zPlusRule(), dense: epsilonRule(o.epsilon) } };
}

export function epsilonPlusFlat(o: CompositeOptions = {}): Composite {
  return { ...epsilonPlus(o), name: 'epsilon-plus-flat', first: flatRule() };
}

export function epsilonGammaBox(o: CompositeOptions = {}): Composite {
  return {
    name: 'epsilon-gamma-box',
    first: boxRule(o, 'epsilon-gamma-box'),
    byKind: { conv2d: gammaRule(o.gamma), dense: epsilonRule(o.epsilon) },
  };
}

export function epsilonAlpha2Beta1(o: CompositeOptions = {}): Composite {
  return { name: 'epsilon-alpha2-beta1', byKind: { conv2d: alphaBetaRule(2, 1), dense: epsilonRule(o.epsilon) } };
}

export function deepTaylor(o: CompositeOptions = {}): Composite {
  const zPlus = zPlusRule();
  return {
    name: 'deep-taylor',
    first: o.unbounded ? wSquareRule() : boxRule(o, 'deep-taylor'),
    byKind: { conv2d: zPlus, dense: zPlus },
  };
}

const NAMED: Record<CompositeKey, (o: CompositeOptions, value?: number) => Composite> = {
  'epsilon-plus': (o) => epsilonPlus(o),
  'epsilon-plus-flat': (o) => epsilonPlusFlat(o),
  'epsilon-gamma-box': (o) => epsilonGammaBox(o),
  'epsilon-alpha2-beta1': (o) => epsilonAlpha2Beta1(o),
  'deep-taylor': (o) => deepTaylor(o),
  '0': () => uniformComposite(lrp0()),
  epsilon: (o, v) => uniformComposite(epsilonRule(v ?? o.epsilon)),
  gamma: (o, v) => uniformComposite(gammaRule(v ?? o.gamma)),
  'alpha2-beta1': () => uniformComposite(alphaBetaRule(2, 1)),
  'alpha1-beta0': () => uniformComposite(alphaBetaRule(1, 0)),
  'z-plus': () => uniformComposite(zPlusRule()),
  'z-box': (o) => uniformComposite(boxRule(o, 'z-box')),
  'w-square': () => uniformComposite(wSquareRule()),
  flat: () => uniformComposite(flatRule()),
};
const TAKES_VALUE = new Set(['epsilon', 'gamma']);

export { COMPOSITE_NAMES };

/**
 * A composite from its CLI name: 'lrp:epsilon-plus-flat', 'lrp:0', 'lrp:epsilon', 'lrp:epsilon=0.25',
 * 'lrp:gamma=0.5', … (the 'lrp:' prefix is optional). `where` names the option for the message.
 */
export function parseComposite(spec: string, options: CompositeOptions = {}, where = '--method'): Composite {
  const body = spec.startsWith('lrp:') ? spec.slice(4) : spec;
  const [name, rawValue, ...rest] = body.split('=');
  const allowed = `allowed: ${COMPOSITE_NAMES.join(', ')} (epsilon and gamma also as lrp:epsilon=0.25, lrp:gamma=0.5)`;
  if (!Object.hasOwn(NAMED, name) || rest.length > 0)
    throw new UserError(`${where}: unknown LRP method '${spec}'; ${allowed}`);
  let value: number | undefined;
  if (rawValue !== undefined) {
    value = Number(rawValue);
    if (!TAKES_VALUE.has(name) || rawValue.trim() === '' || !Number.isFinite(value) || value < 0) {
      throw new UserError(
        `${where}: bad parameter in '${spec}': only epsilon and gamma take a value, a number ≥ 0; ${allowed}`,
      );
    }
  }
  const composite = NAMED[name as CompositeKey](options, value);
  return { ...composite, name: `lrp:${body}` };
}
