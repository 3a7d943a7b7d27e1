import type { Command } from 'commander';
import { parseCount } from './options.ts';

export function register(program: Command): void {
  program
    .command('outliers')
    .description('list the top outliers of a run (lowest decision value first)')
    .argument('<run>', 'run folder written by train')
    .option('--top <n>', 'how many', '20')
    .option('--json', 'print JSON instead of a table')
    .action(async (dir: string, o) => {
      const top = parseCount(o.top, '--top');
      const { openRun } = await import('../run/open-run.ts');
      const { topOutliers } = await import('../run/scores-csv.ts');
      const { textTable } = await import('../run/text-table.ts');
      const { config, scores } = openRun(dir);
      const outliers = topOutliers(scores, top);
      if (o.json) {
        console.log(
          JSON.stringify(
            {
              run: dir,
              rocAuc: config.rocAuc,
              normal: config.normal,
              threshold: config.svm.threshold,
              outliers: outliers.map((s, k) => ({ rank: k + 1, ...s })),
            },
            null,
            2,
          ),
        );
        return;
      }
      const rows = outliers.map((s, k) => [String(k + 1), String(s.index), s.label, s.decision.toExponential(4)]);
      console.log(textTable(['rank', 'index', 'label', 'decision'], rows));
      if (config.rocAuc !== null)
        console.log(`ROC AUC (normal: ${config.normal!.join(',')}; the rest anomalies): ${config.rocAuc.toFixed(4)}`);
    });
}
