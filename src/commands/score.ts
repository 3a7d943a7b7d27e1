import type { Command } from 'commander';
import { initRuntime } from '../runtime/runtime.ts';
import { scoreRun } from '../run/score-run.ts';
import { parseShard } from '../run/shard.ts';
import { parseCount, parseThreads } from './options.ts';

export function register(program: Command): void {
  program
    .command('score')
    .description("decision values of every sample of a data set under a run's model, read in batches (bounded memory)")
    .argument('<run>', 'run folder written by train')
    .option('--data <spec>', "data to score (default: the run's own data)")
    .option('--shard <i/k>', 'score only slice i of k (0 ≤ i < k) and write a partial output for merge')
    .option('--threads <n>', "1, 2, or auto: two when the work pays for the worker's start-up", 'auto')
    .option('--batch <n>', 'samples read and scored at a time', '4096')
    .requiredOption('--out <dir>', 'output folder: scores.csv and score.json')
    .action(async (run: string, o) => {
      const shard = o.shard === undefined ? undefined : parseShard(o.shard);
      const threads = parseThreads(o.threads);
      const batch = parseCount(o.batch, '--batch');
      await initRuntime({ backend: program.opts().backend });
      const result = await scoreRun({
        run,
        data: o.data,
        out: o.out,
        shard,
        threads,
        batch,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const part = shard ? `, shard ${shard.index}/${shard.count}: samples ${result.from}…${result.to - 1}` : '';
      console.log(`scores written to ${o.out} (${result.to - result.from} of ${result.nSamples} samples${part})`);
      console.log(`${result.nOutliers} of them have a negative decision value (outliers)`);
    });
}
