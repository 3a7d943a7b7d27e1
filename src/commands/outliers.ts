import type { Command } from 'commander';
import type { SampleScore } from '../run/scores-csv.ts';
import { parseCount } from './options.ts';

export function register(program: Command): void {
  program
    .command('outliers')
    .description('list the top outliers of a run (lowest decision value first; per class for a --per-class run)')
    .argument('<run>', 'run folder written by train')
    .option('--top <n>', 'how many (per class for a --per-class run)', '20')
    .option('--json', 'print JSON instead of a table')
    .action(async (dir: string, o) => {
      const top = parseCount(o.top, '--top');
      const { openRun } = await import('../run/open-run.ts');
      const { topOutliers, topOutliersByClass } = await import('../run/scores-csv.ts');
      const { textTable } = await import('../run/text-table.ts');
      const { config, scores } = openRun(dir);
      const ranked = (list: SampleScore[]) => list.map((s, k) => ({ rank: k + 1, ...s }));
      const groups = config.perClass
        ? topOutliersByClass(scores, config.classNames, top)
        : [{ className: null, outliers: topOutliers(scores, top) }];
      if (o.json) {
        const models = config.models.map((m) => ({ className: m.className, threshold: m.threshold }));
        const listed = config.perClass
          ? { byClass: groups.map((g) => ({ className: g.className, outliers: ranked(g.outliers) })) }
          : { outliers: ranked(groups[0].outliers) };
        const summary = {
          run: dir,
          rocAuc: config.rocAuc,
          testRocAuc: config.test?.rocAuc ?? null,
          normal: config.normal,
          models,
          ...listed,
        };
        console.log(JSON.stringify(summary, null, 2));
        return;
      }
      for (const group of groups) {
        if (group.className !== null) console.log(`\nclass ${group.className} (ranked against its own class):`);
        const rows = group.outliers.map((s, k) => [
          String(k + 1),
          String(s.index),
          s.name,
          s.label,
          s.decision.toExponential(4),
        ]);
        console.log(textTable(['rank', 'index', 'name', 'label', 'decision'], rows));
      }
      if (config.rocAuc !== null)
        console.log(`ROC AUC (normal: ${config.normal!.join(',')}; the rest anomalies): ${config.rocAuc.toFixed(4)}`);
      if (config.test?.rocAuc != null)
        console.log(
          `ROC AUC on the ${config.test.nSamples} held-out samples of ${config.test.data}: ${config.test.rocAuc.toFixed(4)}`,
        );
    });
}
