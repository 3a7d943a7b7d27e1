import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { checkOutputFolder } from '../io/output-folder.ts';
import { DEFAULT_COMPOSITE, OUTLIER_METHOD_NAMES, parseOutlierMethodList } from '../neuralize/method-names.ts';
import { parseShard } from '../run/shard.ts';
import { variantLabel } from '../neuralize/ocdtd-variant-names.ts';
import { OCDTD_OPTION, parseCount, parseIndexList, parseOcdtdOption, parseThreads } from './options.ts';
import { startRuntime } from './runtime-start.ts';

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain why samples of a run are outliers, pixel by pixel (OC-DTD and baselines)')
    .argument('<run>', 'run folder written by train')
    .option('--top <n>', 'explain the n top outliers (default 20; per class for a --per-class run)')
    .option('--index <list>', 'explain these sample indices instead, e.g. 3,9')
    .option(
      '--method <list>',
      `comma-separated: ${OUTLIER_METHOD_NAMES.join(', ')} (edge needs images)`,
      OUTLIER_METHOD_NAMES.join(','),
    )
    .option('--composite <name>', 'LRP composite below the features for OC-DTD', DEFAULT_COMPOSITE)
    .option(OCDTD_OPTION.flags, OCDTD_OPTION.description, OCDTD_OPTION.default)
    .option('--ig-steps <n>', 'integrated gradients: steps', '32')
    .option('--upscale <k>', 'heat-map PNG magnification', '4')
    .option(
      '--compress <k>',
      'explain with k k-means prototypes in place of the support vectors (faster on large runs; the change of o(x) is reported)',
    )
    .option(
      '--threads <n>',
      "OC-DTD on 1 or 2 threads, or auto (two when the work pays for the worker's start-up)",
      'auto',
    )
    .option('--shard <i/k>', 'explain only slice i of k (0 ≤ i < k) of the chosen samples: a partial output for merge')
    .requiredOption(
      '--out <dir>',
      'folder to write (one sub-folder per method; a new or empty folder, or an earlier explain output)',
    )
    .action(async (dir: string, o) => {
      if (o.top !== undefined && o.index !== undefined) throw new UserError('give --top or --index, not both');
      const methods = parseOutlierMethodList(o.method, '--method');
      const top = parseCount(o.top ?? '20', '--top');
      const steps = parseCount(o.igSteps, '--ig-steps');
      const variant = parseOcdtdOption(o.ocdtd);
      const upscale = parseCount(o.upscale, '--upscale');
      const compress = o.compress === undefined ? undefined : parseCount(o.compress, '--compress');
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      const threads = parseThreads(o.threads);
      checkOutputFolder(o.out, 'explanations', { inputs: [dir] });
      const { progress } = await startRuntime(program);
      const { resolveComposite } = await import('../neuralize/explain-output.ts');
      resolveComposite(o.composite); // an unknown name stops here, before any work
      const { explainRun } = await import('../run/write-explanations.ts');
      const { chosenOutliers } = await import('../run/scores-csv.ts');
      const { textTable } = await import('../run/text-table.ts');
      const result = await explainRun({
        run: dir,
        out: o.out,
        methods,
        select: ({ run }) =>
          o.index !== undefined
            ? parseIndexList(o.index, '--index', run.dataset.n)
            : chosenOutliers(run.scores, run.config, top).map((s) => s.index),
        composite: o.composite,
        ocdtd: variant,
        gradientSteps: steps,
        upscale,
        compress,
        shard,
        threads,
        progress,
      });
      for (const compression of result.compression ?? []) {
        const which = compression.className === null ? '' : ` of class '${compression.className}'`;
        console.log(
          `support set${which} compressed from ${compression.supportVectors} vectors to ${compression.prototypes} prototypes: ` +
            `o(x) changes by at most ${compression.maxOutliernessChange.toPrecision(4)} on the ${compression.trainingSamples} training samples, ` +
            `${compression.changedDecisions} of them change side of θ (the decision column is the uncompressed SVM's)`,
        );
      }
      // a variant explains its own output (o₋, o_κ, the hull distance, …): shown beside the SVM's o(x)
      const other = variantLabel(variant) !== 'plain';
      const rows = result.samples.map((s) => [
        String(s.index),
        s.name,
        s.label ?? '',
        s.outlierness.toPrecision(6),
        s.threshold.toPrecision(6),
        s.decision.toExponential(4),
        ...(other ? [s.explained === null ? '' : s.explained.toPrecision(6)] : []),
        s.ocdtdSum === null ? '' : s.ocdtdSum.toPrecision(6),
      ]);
      const explainedHeader = other ? [`explained (${variantLabel(variant)})`] : [];
      console.log(
        textTable(['index', 'name', 'label', 'o(x)', 'θ', 'decision', ...explainedHeader, 'Σ R (OC-DTD)'], rows),
      );
      const own = result.perClass ? ' (each sample against its own class)' : '';
      console.log(`o(x) > θ ⇔ outlier${own}; ${result.methods.length} method(s) written to ${o.out}`);
    });
}
