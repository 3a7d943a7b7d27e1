/**
 * oc-explain command line. Each command lives in src/commands/<name>.ts and registers itself on
 * the program; this file only wires them up and turns user mistakes into one clear line.
 */
import { Command, CommanderError } from 'commander';
import { isUserError } from './errors.ts';
import { commands } from './commands/index.ts';

export function buildProgram(): Command {
  const program = new Command('oc-explain')
    .description('Find the outliers of a data set with a one-class SVM and explain them pixel by pixel.')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: the first that loads)')
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (isUserError(e)) {
      process.stderr.write(`oc-explain: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
