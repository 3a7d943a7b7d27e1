import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { DEFAULT_COMPOSITE, OUTLIER_METHOD_NAMES, parseOutlierMethodList } from '../neuralize/method-names.ts';
import { checkReportTarget } from '../report/report-file.ts';
import { parseReference, REFERENCE_KINDS } from '../run/reference-kinds.ts';
import { FLIP_NORMALIZATIONS, parseNormalization } from '../metrics/flip-normalization.ts';
import { OCDTD_OPTION, parseCount, parseOcdtdOption } from './options.ts';
import { loadMaskFolder, parseMaskSpec } from '../data/mask-folder.ts';
import { mapShape } from '../data/dataset.ts';
import { startRuntime } from './runtime-start.ts';

export const REPORT_CLASSIFIER_METHODS = 'gradient,gxi,ig,lrp:epsilon-plus-flat,lrp:epsilon-gamma-box,lrp:deep-taylor';

export function register(program: Command): void {
  program
    .command('report')
    .description(
      'write one self-contained HTML report of a run: outliers and their explanations, pixel flipping, classifier explanations, clusters',
    )
    .argument('<run>', 'run folder written by train')
    .requiredOption('--out <file>', 'HTML file to write (a new file, or an earlier report)')
    .option(
      '--top <n>',
      'top outliers shown (and flipped); per class for a --per-class run (default 12, or 2 per class)',
    )
    .option(
      '--methods <list>',
      `outlier explanations: ${OUTLIER_METHOD_NAMES.join(', ')} (edge needs images)`,
      OUTLIER_METHOD_NAMES.join(','),
    )
    .option('--composite <name>', 'LRP composite below the features for OC-DTD (and NEON)', DEFAULT_COMPOSITE)
    .option(OCDTD_OPTION.flags, OCDTD_OPTION.description, OCDTD_OPTION.default)
    .option(
      '--classifier-samples <n>',
      'samples whose classifier explanations are shown (0: none; runs with a feature network only)',
      '6',
    )
    .option(
      '--classifier-methods <list>',
      'classifier explanations: gradient, gxi, ig, lrp:<composite>, …',
      REPORT_CLASSIFIER_METHODS,
    )
    .option('--clusters <k>', 'also cluster the features with k-means and show NEON explanations')
    .option('--reference <kind>', `outlier flipping reference: ${REFERENCE_KINDS.join(', ')}`, 'nearest')
    .option(
      '--normalize <how>',
      `outlier flipping: what each curve is scaled by, ${FLIP_NORMALIZATIONS.join(' or ')} (span: from 1 at the start to 0 at the end of the flip)`,
      'start',
    )
    .option('--patch <n>', 'side of the flipped square patches (vectors: one value at a time)', '2')
    .option('--steps <n>', 'points of each flipping curve (default: one patch per step)')
    .option('--ig-steps <n>', 'integrated gradients: steps', '32')
    .option('--masks <spec>', 'png:DIR — ground-truth masks named by sample index: score the explanations against them')
    .action(async (dir: string, o) => {
      const options = {
        top: o.top === undefined ? undefined : parseCount(o.top, '--top'),
        methods: parseOutlierMethodList(o.methods, '--methods'),
        composite: o.composite as string,
        ocdtd: parseOcdtdOption(o.ocdtd),
        classifierSamples: parseCount(o.classifierSamples, '--classifier-samples', 0),
        clusters: o.clusters === undefined ? null : parseCount(o.clusters, '--clusters', 2),
        reference: parseReference(o.reference),
        normalize: parseNormalization(o.normalize),
        patchSize: parseCount(o.patch, '--patch'),
        steps: o.steps === undefined ? undefined : parseCount(o.steps, '--steps'),
        gradient: { steps: parseCount(o.igSteps, '--ig-steps') },
      };
      checkReportTarget(o.out, [dir]);
      const { progress } = await startRuntime(program);
      const { parseClassifierMethods } = await import('../explain/classifier-methods.ts');
      const { resolveComposite } = await import('../neuralize/explain-output.ts');
      const { reportRun } = await import('../run/report-run.ts');
      const { RunExplainer } = await import('../run/run-explainer.ts');
      const classifierMethods = parseClassifierMethods(o.classifierMethods, '--classifier-methods');
      resolveComposite(options.composite); // an unknown name stops here, before any work
      const maskDir = o.masks === undefined ? null : parseMaskSpec(o.masks);
      progress.stage(`opening run ${dir}`);
      const explainer = await RunExplainer.open(dir);
      try {
        const [height, width] = mapShape(explainer.run.dataset.sampleShape);
        const masks =
          maskDir === null ? undefined : loadMaskFolder(maskDir, { height, width, n: explainer.run.dataset.n });
        const n = explainer.run.dataset.n;
        if (options.clusters !== null && options.clusters > n)
          throw new UserError(`--clusters ${options.clusters}: the run has only ${n} samples`);
        await reportRun(explainer, o.out, { ...options, classifierMethods, progress, masks });
      } finally {
        explainer.dispose();
      }
      console.log(o.out);
    });
}
