import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('merge')
    .description('combine the partial outputs of score, explain or evaluate --shard i/k into what one process writes')
    .argument('<parts...>', 'the partial output folders, all k of them, in any order')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (parts: string[], o) => {
      const { mergeRun } = await import('../run/merge-run.ts');
      const result = await mergeRun(parts, o.out);
      console.log(`${result.parts} parts of '${result.command}' merged into ${o.out}`);
    });
}
