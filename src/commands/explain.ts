import type { Command } from 'commander';
import { initRuntime } from '../runtime/runtime.ts';
import { UserError } from '../errors.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/explain-output.ts';
import { parseOutlierMethod, OUTLIER_METHOD_NAMES } from '../neuralize/outlier-methods.ts';
import { RunExplainer } from '../run/run-explainer.ts';
import { writeExplanations } from '../run/write-explanations.ts';
import { chosenOutliers } from '../run/scores-csv.ts';
import { textTable } from '../run/text-table.ts';
import { parseCount, parseIndexList } from './options.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain why samples of a run are outliers, pixel by pixel (OC-DTD and baselines)')
    .argument('<run>', 'run folder written by train')
    .option('--top <n>', 'explain the n top outliers (default 20; per class for a --per-class run)')
    .option('--index <list>', 'explain these sample indices instead, e.g. 3,9')
    .option('--method <list>', `comma-separated: ${OUTLIER_METHOD_NAMES.join(', ')}`, OUTLIER_METHOD_NAMES.join(','))
    .option('--composite <name>', 'LRP composite below the features for OC-DTD', DEFAULT_COMPOSITE)
    .option('--ig-steps <n>', 'integrated gradients: steps', '32')
    .option('--upscale <k>', 'heat-map PNG magnification', '4')
    .option(
      '--compress <k>',
      'explain with k k-means prototypes in place of the support vectors (faster on large runs; the change of o(x) is reported)',
    )
    .requiredOption('--out <dir>', 'folder to write (one sub-folder per method)')
    .action(async (dir: string, o) => {
      if (o.top !== undefined && o.index !== undefined) throw new UserError('give --top or --index, not both');
      const methods = String(o.method)
        .split(',')
        .map((m) => parseOutlierMethod(m.trim()));
      const steps = parseCount(o.igSteps, '--ig-steps');
      const upscale = parseCount(o.upscale, '--upscale');
      const compress = o.compress === undefined ? undefined : parseCount(o.compress, '--compress');
      await initRuntime({ backend: program.opts().backend });
      const explainer = await RunExplainer.open(dir, { compress });
      try {
        const { scores, dataset, config } = explainer.run;
        const indices =
          o.index !== undefined
            ? parseIndexList(o.index, '--index', dataset.n)
            : chosenOutliers(scores, config, parseCount(o.top ?? '20', '--top')).map((s) => s.index);
        const results = explainer.explain(indices, methods, { composite: o.composite, gradient: { steps } });
        const samples = await writeExplanations(o.out, explainer, indices, results, {
          composite: o.composite,
          upscale,
        });
        for (const compression of explainer.compression ?? []) {
          const which = compression.className === null ? '' : ` of class '${compression.className}'`;
          console.log(
            `support set${which} compressed from ${compression.supportVectors} vectors to ${compression.prototypes} prototypes: ` +
              `o(x) changes by at most ${compression.maxOutliernessChange.toPrecision(4)} on the ${compression.trainingSamples} training samples, ` +
              `${compression.changedDecisions} of them change side of θ (the decision column is the uncompressed SVM's)`,
          );
        }
        const rows = samples.map((s) => [
          String(s.index),
          s.name,
          s.label ?? '',
          s.outlierness.toPrecision(6),
          s.threshold.toPrecision(6),
          s.decision.toExponential(4),
          s.ocdtdSum === null ? '' : s.ocdtdSum.toPrecision(6),
        ]);
        console.log(textTable(['index', 'name', 'label', 'o(x)', 'θ', 'decision', 'Σ R (OC-DTD)'], rows));
        const models = config.perClass ? ' (each sample against its own class)' : '';
        console.log(`o(x) > θ ⇔ outlier${models}; ${methods.length} method(s) written to ${o.out}`);
      } finally {
        explainer.dispose();
      }
    });
}
