import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { checkOutputFolder, writeDirAtomic } from '../io/output-folder.ts';
import { DEFAULT_COMPOSITE, OUTLIER_METHOD_NAMES, parseOutlierMethodList } from '../neuralize/method-names.ts';
import type { PixelFlippingResult } from '../metrics/pixel-flipping.ts';
import { parseReference, REFERENCE_KINDS } from '../run/reference-kinds.ts';
import { FLIP_NORMALIZATIONS, parseNormalization } from '../metrics/flip-normalization.ts';
import { SHARD_FILE, formatShardManifest, parseShard, shardManifest, shardRange } from '../run/shard.ts';
import type { EvaluationHead } from '../run/evaluation-output.ts';
import { loadMaskFolder, parseMaskSpec } from '../data/mask-folder.ts';
import { mapShape } from '../data/dataset.ts';
import { variantLabel } from '../neuralize/ocdtd-variant-names.ts';
import { OCDTD_OPTION, parseCount, parseIndexList, parseOcdtdOption, parseThreads } from './options.ts';
import { startRuntime } from './runtime-start.ts';

const DEFAULT_CLASSIFIER_METHODS =
  'gradient,gxi,ig,lrp:epsilon-plus-flat,lrp:epsilon-gamma-box,lrp:deep-taylor,lrp:epsilon-alpha2-beta1,lrp:epsilon-plus';

/** The floor every flipping evaluation runs; users may name it in a method list. */
const RANDOM = 'random';

/** A classifier method list without 'random' (the floor is always run). */
function withoutRandom(list: string): string {
  return list
    .split(',')
    .filter((m) => m.trim() !== RANDOM)
    .join(',');
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
    .option(
      '--normalize <how>',
      `what each curve is scaled by before its area is taken: ${FLIP_NORMALIZATIONS.join(', ')} (start: score / start; span: from 1 at the start to 0 at the end of the flip, samples whose flip lowers the score by less than a tenth left out)`,
      'start',
    )
    .option('--patch <n>', 'side of the flipped square patches (vectors: one value at a time)', '2')
    .option('--steps <n>', 'points of each curve (default: one patch per step)')
    .option('--composite <name>', 'LRP composite below the features for OC-DTD', DEFAULT_COMPOSITE)
    .option(OCDTD_OPTION.flags, OCDTD_OPTION.description, OCDTD_OPTION.default)
    .option('--ig-steps <n>', 'integrated gradients: steps', '32')
    .option('--seed <n>', 'seed of the random floor', '0')
    .option(
      '--masks <spec>',
      'png:DIR — ground-truth masks named by sample index (12.png): score the outlier explanations of those samples against them (pixel ROC AUC, top-|mask| precision) instead of flipping',
    )
    .option('--json', 'print JSON instead of the area table')
    .option(
      '--threads <n>',
      "OC-DTD on 1 or 2 threads, or auto (two when the work pays for the worker's start-up)",
      'auto',
    )
    .option('--out <dir>', "also write evaluation.json (the JSON with every sample's curve) into this folder")
    .option(
      '--shard <i/k>',
      'flip only slice i of k (0 ≤ i < k) of the samples (whole parts of 10): a partial output in --out for merge',
    )
    .action(async (dir: string, o, command: Command) => {
      const classifier = Boolean(o.classifier);
      if (o.index !== undefined && command.getOptionValueSource('top') === 'cli')
        throw new UserError('give --top or --index, not both');
      const top = parseCount(o.top, '--top');
      const outlierMethods = classifier
        ? []
        : parseOutlierMethodList(o.methods ?? OUTLIER_METHOD_NAMES.join(','), '--methods', [RANDOM]);
      const reference = parseReference(o.reference ?? (classifier ? 'zero' : 'nearest'));
      const ocdtd = parseOcdtdOption(o.ocdtd);
      const normalize = parseNormalization(o.normalize);
      const settings = {
        reference,
        normalize,
        patchSize: parseCount(o.patch, '--patch'),
        steps: o.steps === undefined ? undefined : parseCount(o.steps, '--steps'),
        seed: parseCount(o.seed, '--seed', 0),
        gradient: { steps: parseCount(o.igSteps, '--ig-steps') },
      };
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      const threads = parseThreads(o.threads);
      if (shard && o.out === undefined) throw new UserError('--shard writes a partial output: give --out too');
      if (shard && classifier)
        throw new UserError('--shard works for outlier explanations; --classifier evaluations run in one process');
      if (
        o.masks !== undefined &&
        (classifier || o.index !== undefined || command.getOptionValueSource('top') === 'cli')
      )
        throw new UserError('--masks chooses the samples itself: drop --classifier, --top and --index');
      if (o.masks !== undefined && (shard || o.out !== undefined))
        throw new UserError('--masks scores against masks in one process: drop --shard and --out');
      const maskDir = o.masks === undefined ? null : parseMaskSpec(o.masks);
      if (o.out !== undefined) checkOutputFolder(o.out, 'evaluation', { inputs: [dir] });
      const { progress } = await startRuntime(program);
      const { parseClassifierMethods } = await import('../explain/classifier-methods.ts');
      const { resolveComposite } = await import('../neuralize/explain-output.ts');
      const { areaTable } = await import('../metrics/pixel-flipping.ts');
      const { SAMPLES_PER_PART, evaluateClassifierExplanations, evaluateOutlierExplanations } =
        await import('../run/evaluate-run.ts');
      const { EVALUATION_FILE, evaluationRecord, formatEvaluationFile } = await import('../run/evaluation-output.ts');
      const { withSteps } = await import('../run/progress.ts');
      const { RunExplainer } = await import('../run/run-explainer.ts');
      const { chosenOutliers } = await import('../run/scores-csv.ts');
      const { areaTableText, textTable } = await import('../run/text-table.ts');
      const { evaluateAgainstMasks, maskTableRows } = await import('../run/mask-scores.ts');
      const classifierMethods = classifier
        ? parseClassifierMethods(withoutRandom(o.methods ?? DEFAULT_CLASSIFIER_METHODS), '--methods')
        : [];
      resolveComposite(o.composite); // an unknown name stops here, before any work
      progress.stage(`opening run ${dir}`);
      const explainer = await RunExplainer.open(dir);
      try {
        if (maskDir !== null) {
          const [height, width] = mapShape(explainer.run.dataset.sampleShape);
          const masks = loadMaskFolder(maskDir, { height, width, n: explainer.run.dataset.n });
          const methods = explainer.usableMethods(outlierMethods, (line) => progress.note(line));
          const evaluation = await evaluateAgainstMasks(explainer, masks, methods, {
            composite: o.composite,
            ocdtd,
            gradient: settings.gradient,
            seed: settings.seed,
          });
          if (o.json) {
            const { indices, scores } = evaluation;
            console.log(JSON.stringify({ run: dir, mode: 'masks', masks: maskDir, indices, scores }, null, 2));
          } else {
            const { header, rows } = maskTableRows(evaluation);
            console.log(textTable(header, rows));
            console.log(
              `${masks.indices.length} samples with masks in ${maskDir}: pixel ROC AUC (0.5 is chance) and precision of the |mask| most relevant pixels, higher is better`,
            );
          }
          return;
        }
        const { scores, dataset } = explainer.run;
        if (classifier && !explainer.classifierNetwork) {
          throw new UserError(
            `run ${dir} uses ${explainer.run.config.features} features: it has no classifier to evaluate (train with --features cnn or mlp)`,
          );
        }
        if (!explainer.imageData && command.getOptionValueSource('patch') === 'cli' && settings.patchSize !== 1)
          progress.note(`--patch ${settings.patchSize} ignored: the samples are vectors, flipped one value at a time`);
        const chosen =
          o.index !== undefined
            ? parseIndexList(o.index, '--index', dataset.n)
            : classifier
              ? Array.from({ length: Math.min(top, dataset.n) }, (_, i) => i)
              : chosenOutliers(scores, explainer.run.config, top).map((s) => s.index);
        // one process groups a per-class run's samples by class before cutting parts: a shard cannot
        if (shard && explainer.run.config.perClass)
          throw new UserError(
            '--shard: a --per-class run is evaluated in one process (its parts are cut class by class)',
          );
        // a shard flips whole parts of SAMPLES_PER_PART samples, its random floor seeded as in one process
        const parts = Math.ceil(chosen.length / SAMPLES_PER_PART);
        const part = shard ? shardRange(parts, shard) : { from: 0, to: parts };
        if (part.from === part.to)
          throw new UserError(
            `--shard ${shard!.index}/${shard!.count}: ${chosen.length} sample(s) make ${parts} part(s) of ${SAMPLES_PER_PART}, none for this shard; use at most ${parts} shards`,
          );
        const indices = chosen.slice(part.from * SAMPLES_PER_PART, part.to * SAMPLES_PER_PART);
        settings.seed += part.from;
        let flipping: PixelFlippingResult;
        let samples: Array<Record<string, unknown>>;
        let skipped: number[] = [];
        if (classifier) {
          const e = await withSteps(
            progress,
            `explaining and flipping ${indices.length} samples`,
            indices.length,
            (update) =>
              evaluateClassifierExplanations(explainer, indices, classifierMethods, {
                ...settings,
                onProgress: update,
              }),
          );
          flipping = e.flipping;
          skipped = e.skipped;
          samples = e.indices.map((index, k) => ({
            index,
            label: scores[index].label || null,
            predicted: dataset.classNames[e.explanation.predicted[k]] ?? String(e.explanation.predicted[k]),
            logit: e.explanation.logits[k],
          }));
        } else {
          const methods = explainer.usableMethods(outlierMethods, (line) => progress.note(line));
          const explanations = await withSteps(
            progress,
            `explaining ${indices.length} samples with ${methods.join(', ')}`,
            indices.length * methods.length,
            (update) =>
              explainer.explain(indices, methods, {
                composite: o.composite,
                ocdtd,
                gradient: settings.gradient,
                threads,
                onProgress: update,
              }),
            'sample × method',
          );
          const e = await withSteps(progress, `flipping ${indices.length} samples`, indices.length, (update) =>
            evaluateOutlierExplanations(explainer, indices, methods, { ...settings, explanations, onProgress: update }),
          );
          flipping = e.flipping;
          samples = e.indices.map((index, k) => ({
            index,
            label: scores[index].label || null,
            outlierness: e.explanations[0].outlierness[k],
            decision: scores[index].decision,
          }));
        }
        const head: EvaluationHead = classifier
          ? { run: dir, mode: 'classifier', score: 'predicted logit' }
          : { run: dir, mode: 'outliers', score: 'o(x)', composite: o.composite, ocdtd: variantLabel(ocdtd) };
        if (o.out !== undefined) {
          const record = evaluationRecord(head, samples, skipped, flipping, true);
          const job = {
            run: resolve(dir),
            ...settings,
            seed: settings.seed - part.from,
            methods: outlierMethods,
            ocdtd: variantLabel(ocdtd),
            samples: chosen,
          };
          await writeDirAtomic(
            o.out,
            'evaluation',
            async (out) => {
              await writeFile(join(out, EVALUATION_FILE), formatEvaluationFile(record));
              if (shard)
                await writeFile(
                  join(out, SHARD_FILE),
                  formatShardManifest(shardManifest('evaluate', shard, parts, job)),
                );
            },
            { inputs: [dir] },
          );
        }
        if (o.json) {
          console.log(JSON.stringify(evaluationRecord(head, samples, skipped, flipping, false), null, 2));
          return;
        }
        console.log(areaTableText(areaTable(flipping)));
        const scoreName = classifier ? 'the predicted logit' : 'o(x)';
        console.log(
          `pixel flipping of ${flipping.nSamples} samples: ${flipping.patchSize}×${flipping.patchSize} patches, reference ${flipping.reference}, score ${scoreName}; area under ${flipping.normalize === 'span' ? '(score − end)/(start − end)' : 'score/start'}, lower is better`,
        );
        if (skipped.length > 0) console.log(`left out (predicted logit ≤ 0): ${skipped.join(', ')}`);
      } finally {
        explainer.dispose();
      }
    });
}
