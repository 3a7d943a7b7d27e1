import type { Command } from 'commander';
import { initRuntime } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { parseClassifierMethods } from '../explain/classifier-methods.ts';
import { DEFAULT_COMPOSITE, resolveComposite } from '../neuralize/explain-output.ts';
import { OUTLIER_METHOD_NAMES, parseOutlierMethod, type OutlierMethodName } from '../neuralize/outlier-methods.ts';
import { areaTable, RANDOM_METHOD, type PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import {
  evaluateClassifierExplanations,
  evaluateOutlierExplanations,
  parseReference,
  REFERENCE_KINDS,
} from '../run/evaluate-run.ts';
import { stepProgress } from '../run/progress.ts';
import { RunExplainer } from '../run/run-explainer.ts';
import { chosenOutliers } from '../run/scores-csv.ts';
import { areaTableText } from '../run/text-table.ts';
import { parseCount, parseIndexList } from './options.ts';

export const DEFAULT_CLASSIFIER_METHODS =
  'gradient,gxi,ig,lrp:epsilon-plus-flat,lrp:epsilon-gamma-box,lrp:deep-taylor,lrp:epsilon-alpha2-beta1,lrp:epsilon-plus';

/** The outlier methods of a list; 'random' may be named but is always run anyway. */
export function parseOutlierMethodList(list: string, where: string): OutlierMethodName[] {
  const names = list
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== RANDOM_METHOD);
  if (names.length === 0)
    throw new UserError(
      `${where}: give at least one method besides ${RANDOM_METHOD} (allowed: ${OUTLIER_METHOD_NAMES.join(', ')})`,
    );
  const methods = names.map((m) => parseOutlierMethod(m, where));
  const twice = methods.find((m, k) => methods.indexOf(m) !== k);
  if (twice) throw new UserError(`${where}: method '${twice}' is listed twice`);
  return methods;
}

/** A classifier method list without 'random' (the floor is always run). */
function withoutRandom(list: string): string {
  return list
    .split(',')
    .filter((m) => m.trim() !== RANDOM_METHOD)
    .join(',');
}

function curvesJson(result: PixelFlippingResult) {
  return {
    patchSize: result.patchSize,
    reference: result.reference,
    fractions: result.fractions,
    areas: areaTable(result),
    curves: result.curves.map((c) => ({ method: c.method, meanNormalized: c.meanNormalized, areas: c.areas })),
  };
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'pixel flipping: how fast each explanation removes the explained score (o(x) of the top outliers, or --classifier: the predicted logit)',
    )
    .argument('<run>', 'run folder written by train')
    .option(
      '--top <n>',
      'the n top outliers, per class for a --per-class run (with --classifier: the first n samples)',
      '50',
    )
    .option('--index <list>', 'these sample indices instead, e.g. 3,9')
    .option(
      '--methods <list>',
      `outliers: ${OUTLIER_METHOD_NAMES.join(', ')} (random is always added); with --classifier: gradient, gxi, ig, lrp:<composite>, …`,
    )
    .option(
      '--classifier',
      "evaluate explanations of the run's classifier (the feature network's predicted logit) instead",
    )
    .option(
      '--reference <kind>',
      `what a flipped pixel becomes: ${REFERENCE_KINDS.join(', ')} (default nearest; with --classifier zero)`,
    )
    .option('--patch <n>', 'side of the flipped square patches', '2')
    .option('--steps <n>', 'points of each curve (default: one patch per step)')
    .option('--composite <name>', 'LRP composite below the features for OC-DTD', DEFAULT_COMPOSITE)
    .option('--ig-steps <n>', 'integrated gradients: steps', '32')
    .option('--seed <n>', 'seed of the random floor', '0')
    .option('--json', 'print JSON instead of the area table')
    .action(async (dir: string, o, command: Command) => {
      const classifier = Boolean(o.classifier);
      if (o.index !== undefined && command.getOptionValueSource('top') === 'cli')
        throw new UserError('give --top or --index, not both');
      const top = parseCount(o.top, '--top');
      const classifierMethods = classifier
        ? parseClassifierMethods(withoutRandom(o.methods ?? DEFAULT_CLASSIFIER_METHODS), '--methods')
        : [];
      const outlierMethods = classifier
        ? []
        : parseOutlierMethodList(o.methods ?? OUTLIER_METHOD_NAMES.join(','), '--methods');
      const reference = parseReference(o.reference ?? (classifier ? 'zero' : 'nearest'));
      resolveComposite(o.composite); // an unknown name stops here, before any work
      const settings = {
        reference,
        patchSize: parseCount(o.patch, '--patch'),
        steps: o.steps === undefined ? undefined : parseCount(o.steps, '--steps'),
        seed: parseCount(o.seed, '--seed', 0),
        gradient: { steps: parseCount(o.igSteps, '--ig-steps') },
      };
      await initRuntime({ backend: program.opts().backend });
      const explainer = await RunExplainer.open(dir);
      try {
        const { scores, dataset } = explainer.run;
        if (classifier && !explainer.classifierNetwork) {
          throw new UserError(
            `run ${dir} uses ${explainer.run.config.features} features: it has no classifier to evaluate (train with --features cnn or mlp)`,
          );
        }
        const indices =
          o.index !== undefined
            ? parseIndexList(o.index, '--index', dataset.n)
            : classifier
              ? Array.from({ length: Math.min(top, dataset.n) }, (_, i) => i)
              : chosenOutliers(scores, explainer.run.config, top).map((s) => s.index);
        const progress = stepProgress('flipping', indices.length, !o.json && process.stderr.isTTY);
        let flipping: PixelFlippingResult;
        let samples: Array<Record<string, unknown>>;
        let skipped: number[] = [];
        try {
          if (classifier) {
            const e = await evaluateClassifierExplanations(explainer, indices, classifierMethods, {
              ...settings,
              onProgress: (d) => progress.update(d),
            });
            flipping = e.flipping;
            skipped = e.skipped;
            samples = e.indices.map((index, k) => ({
              index,
              label: scores[index].label || null,
              predicted: dataset.classNames[e.explanation.predicted[k]] ?? String(e.explanation.predicted[k]),
              logit: e.explanation.logits[k],
            }));
          } else {
            const e = await evaluateOutlierExplanations(explainer, indices, outlierMethods, {
              ...settings,
              composite: o.composite,
              onProgress: (d) => progress.update(d),
            });
            flipping = e.flipping;
            samples = e.indices.map((index, k) => ({
              index,
              label: scores[index].label || null,
              outlierness: e.explanations[0].outlierness[k],
              decision: scores[index].decision,
            }));
          }
        } finally {
          progress.stop();
        }
        if (o.json) {
          const what = classifier
            ? { mode: 'classifier', score: 'predicted logit' }
            : { mode: 'outliers', score: 'o(x)', composite: o.composite };
          console.log(JSON.stringify({ run: dir, ...what, samples, skipped, ...curvesJson(flipping) }, null, 2));
          return;
        }
        console.log(areaTableText(areaTable(flipping)));
        const scoreName = classifier ? 'the predicted logit' : 'o(x)';
        console.log(
          `pixel flipping of ${flipping.nSamples} samples: ${flipping.patchSize}×${flipping.patchSize} patches, reference ${flipping.reference}, score ${scoreName}; area under score/start, lower is better`,
        );
        if (skipped.length > 0) console.log(`left out (predicted logit ≤ 0): ${skipped.join(', ')}`);
      } finally {
        explainer.dispose();
      }
    });
}
