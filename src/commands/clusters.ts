import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { checkOutputFolder } from '../io/output-folder.ts';
import { DEFAULT_COMPOSITE } from '../neuralize/method-names.ts';
import { parseCount, parseNumber } from './options.ts';
import { startRuntime } from './runtime-start.ts';

/** '0:950 6:12': the classes of a cluster, largest first. */
function labelMakeUp(labels: Record<string, number> | null): string {
  if (!labels) return '';
  return Object.entries(labels)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([name, count]) => `${name}:${count}`)
    .join(' ');
}

export function register(program: Command): void {
  program
    .command('clusters')
    .description(
      "k-means on a run's features and NEON explanations of the samples nearest each centroid, down to the pixels",
    )
    .argument('<run>', 'run folder written by train')
    .option('--k <n>', 'number of clusters', '10')
    .option('--explain <n>', 'samples explained per cluster (the nearest to its centroid)', '5')
    .option('--composite <name>', 'LRP composite of the feature network for NEON', DEFAULT_COMPOSITE)
    .option('--beta <value>', 'NEON soft-min stiffness sharing f_c among the competitors', '1')
    .option('--seed <n>', 'seed of the k-means initialisation', '0')
    .option('--upscale <k>', 'heat-map PNG magnification', '4')
    .requiredOption(
      '--out <dir>',
      'folder to write (one sub-folder per cluster; a new or empty folder, or an earlier clusters output)',
    )
    .action(async (dir: string, o) => {
      const k = parseCount(o.k, '--k', 2);
      const explain = parseCount(o.explain, '--explain');
      const beta = parseNumber(o.beta, '--beta');
      if (!(beta > 0)) throw new UserError(`--beta must be > 0 (got ${o.beta})`);
      const seed = parseCount(o.seed, '--seed', 0);
      const upscale = parseCount(o.upscale, '--upscale');
      checkOutputFolder(o.out, 'clusters', { inputs: [dir] });
      const { progress } = await startRuntime(program);
      const { resolveComposite } = await import('../neuralize/explain-output.ts');
      resolveComposite(o.composite); // an unknown name stops here, before any work
      const { clustersToFolder } = await import('../run/cluster-run.ts');
      const { textTable } = await import('../run/text-table.ts');
      const { result } = await clustersToFolder({
        run: dir,
        out: o.out,
        k,
        explain,
        composite: o.composite,
        beta,
        seed,
        upscale,
        progress,
      });
      const rows = result.clusters.map((c) => {
        const sumR = c.relevanceSums.reduce((a, b) => a + b, 0);
        const sumF = c.logits.reduce((a, b) => a + b, 0);
        const gap = c.logits.reduce((m, f, n) => Math.max(m, Math.abs(c.relevanceSums[n] - f)), 0);
        return [
          String(c.cluster),
          String(c.size),
          labelMakeUp(c.labels),
          String(c.explained.length),
          sumF.toPrecision(5),
          sumR.toPrecision(5),
          gap.toExponential(2),
        ];
      });
      console.log(textTable(['cluster', 'size', 'labels', 'explained', 'Σ f_c(x)', 'Σ R', 'max |ΣR − f_c|'], rows));
      console.log(
        `k-means (k = ${k}, seed ${seed}) on ${result.fit.dim} features, ${result.fit.iterations} iterations; NEON with ${result.composite}, β = ${beta}; written to ${o.out}`,
      );
    });
}
