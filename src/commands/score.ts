import type { Command } from 'commander';
import { checkOutputFolder } from '../io/output-folder.ts';
import { parseShard } from '../run/shard.ts';
import { parseCount, parseThreads } from './options.ts';
import { startRuntime } from './runtime-start.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description("the decision value of every sample of a data set under a run's model, read in batches")
    .argument('<run>', 'run folder written by train')
    .option('--data <spec>', "data to score (default: the run's own data)")
    .option('--shard <i/k>', 'only slice i of k (0 ≤ i < k): a partial output for merge')
    .option('--threads <n>', "1, 2, or auto (two when the work pays for the worker's start-up)", 'auto')
    .option('--batch <n>', 'samples read and scored at a time', '4096')
    .requiredOption('--out <dir>', 'output folder: scores.csv and score.json')
    .action(async (run: string, o) => {
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      const threads = parseThreads(o.threads);
      const batch = parseCount(o.batch, '--batch');
      if (o.data !== undefined) (await import('../data/data-spec.ts')).parseDataSpec(o.data);
      checkOutputFolder(o.out, 'scores', { inputs: [run] });
      const { progress } = await startRuntime(program);
      const { scoreRun } = await import('../run/score-run.ts');
      const result = await scoreRun({ run, data: o.data, out: o.out, shard, threads, batch, progress });
      const part = shard ? ` (shard ${shard.index}/${shard.count}: samples ${result.from}…${result.to - 1})` : '';
      console.log(`scores of ${result.to - result.from} of ${result.nSamples} samples written to ${o.out}${part}`);
      console.log(`${result.nOutliers} of them have a negative decision value (outliers)`);
    });
}
