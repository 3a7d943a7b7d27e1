import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('info')
    .description('say which tfjs backend runs here, and the versions')
    .option('--json', 'print JSON')
    .action(async (o) => {
      const { tf, initRuntime } = await import('../runtime/runtime.ts');
      const backend = await initRuntime({ backend: program.opts().backend, quiet: true });
      const info = {
        backend,
        tfjs: tf.version.tfjs,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
      };
      console.log(
        o.json
          ? JSON.stringify(info)
          : Object.entries(info)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n'),
      );
    });
}
