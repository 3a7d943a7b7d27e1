import type { Command } from 'commander';
import { openRun } from '../run/open-run.ts';
import { topOutliers } from '../run/scores-csv.ts';
import { textTable } from '../run/text-table.ts';
import { parseCount } from './options.ts';

export function register(program: Command): void {
  program
    .command('outliers')
    .description('list the top outliers of a run (lowest decision value first)')
    .argument('<run>', 'run folder written by train')
    .option('--top <n>', 'how many', '20')
    .option('--json', 'print JSON instead of a table')
    .action((dir: string, o) => {
      const { config, scores } = openRun(dir);
      const top = topOutliers(scores, parseCount(o.top, '--top'));
      if (o.json) {
        console.log(
          JSON.stringify(
            {
              run: dir,
              rocAuc: config.rocAuc,
              normal: config.normal,
              threshold: config.svm.threshold,
              outliers: top.map((s, k) => ({ rank: k + 1, ...s })),
            },
            null,
            2,
          ),
        );
        return;
      }
      const rows = top.map((s, k) => [String(k + 1), String(s.index), s.label, s.decision.toExponential(4)]);
      console.log(textTable(['rank', 'index', 'label', 'decision'], rows));
      if (config.rocAuc !== null)
        console.log(`ROC AUC (normal: ${config.normal!.join(',')}; the rest anomalies): ${config.rocAuc.toFixed(4)}`);
    });
}
