/**
 * oc-explain command line. Each command lives in src/commands/<name>.ts and registers itself on
 * the program (loading its heavy modules only when it runs); this file wires them up, turns every
 * error into one line and an exit code, and supervises the process that does the work.
 *
 * Exit codes: 0 done; 1 internal error (a bug: please report it); 2 the input or an option is wrong
 * (one line says what and where); 130 interrupted (Ctrl-C), with nothing written.
 */
import { fork } from 'node:child_process';
import { constants } from 'node:os';
import { Command, CommanderError } from 'commander';
import { isUserError } from './errors.ts';
import { commands } from './commands/index.ts';
import { SUPERVISED_ENV, isTemporaryMessage, removeAllSync } from './io/temporaries.ts';
import { toolVersion } from './io/tool-version.ts';

const EXIT = { ok: 0, internal: 1, user: 2 } as const;

function buildProgram(): Command {
  const program = new Command('oc-explain')
    .description('Find the outliers of a data set with a one-class SVM and explain them pixel by pixel.')
    .version(toolVersion(), '--version', 'print the version')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: the first that loads)')
    .option('--debug', 'on an internal error, print the whole stack trace')
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  for (const register of commands) register(program);
  // every command: errors as one line (see main), no usage after them
  for (const command of program.commands) command.configureOutput({ outputError: () => undefined });
  return program;
}

/** One line, at most `max` characters: a message from deep inside tfjs or WASM may be a page long. */
function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Errors a user can cause without a bug of ours: the machine runs out of memory for their data. */
function isOutOfMemory(e: unknown): boolean {
  const message = (e as Error)?.message ?? '';
  return /Array buffer allocation failed|Invalid typed array length|Aborted\(OOM\)|out of memory|Cannot enlarge memory/i.test(
    message,
  );
}

/** The command's name in argv (for 'see … --help'), if any. */
function commandName(program: Command, argv: string[]): string | null {
  const name = argv.find((a) => !a.startsWith('-'));
  return program.commands.some((c) => c.name() === name) ? name! : null;
}

/** Print `e` as one line (and the stack with --debug); the exit code. */
export function reportError(e: unknown, debug: boolean, command: string | null = null): number {
  const write = (line: string) => process.stderr.write(`oc-explain: ${line}\n`);
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
    if (e.code === 'commander.help') return EXIT.user; // no command given: the help went to stderr
    const help = command ? `oc-explain ${command} --help` : 'oc-explain --help';
    write(`${oneLine(e.message.replace(/^error: /, ''))} (see ${help})`);
    return EXIT.user;
  }
  if (isUserError(e)) {
    write(oneLine(e.message, 2000));
    return EXIT.user;
  }
  if (isOutOfMemory(e)) {
    write(
      `out of memory (${oneLine((e as Error).message, 120)}): use fewer or smaller samples, or a machine with more memory`,
    );
    return EXIT.user;
  }
  const name = (e as Error)?.name ?? 'Error';
  write(
    `internal error, please report it with the command you ran: ${name}: ${oneLine((e as Error)?.message ?? String(e), 200)}${debug ? '' : ' (--debug shows where)'}`,
  );
  const stack = (e as Error)?.stack;
  // each line cut short: a frame in minified code may carry a whole line of it
  const short = (line: string) => (line.length > 300 ? `${line.slice(0, 300)}…` : line);
  if (debug && stack) process.stderr.write(`${stack.split('\n').map(short).join('\n')}\n`);
  return EXIT.internal;
}

/** Run one command line in this process; the exit code. Never throws. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  let program: Command | null = null;
  try {
    program = buildProgram();
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.user;
    }
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    return reportError(e, debug, program ? commandName(program, argv) : null);
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Run the command line in a child process and watch it: the child announces the temporary folders
 * it builds (src/io/temporaries.ts), and whatever stops it — Ctrl-C, a kill, the out-of-memory
 * killer, a crash — what it leaves behind is removed here. Signals sent to this process go on to
 * the child. The exit code is the child's (130 after Ctrl-C).
 */
function supervise(script: string, argv: string[]): Promise<number> {
  const temporaries = new Set<string>();
  const child = fork(script, argv, {
    stdio: 'inherit',
    env: { ...process.env, [SUPERVISED_ENV]: '1' },
    execArgv: process.execArgv,
  });
  child.on('message', (m) => {
    if (!isTemporaryMessage(m)) return;
    if (m.ocExplainTemporary === 'add') temporaries.add(m.path);
    else temporaries.delete(m.path);
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of SIGNALS) process.on(signal, forward);
  return new Promise((done) => {
    child.on('exit', (code, signal) => {
      for (const s of SIGNALS) process.off(s, forward);
      removeAllSync(temporaries);
      if (signal === null) return done(code ?? EXIT.internal);
      const cleaned = temporaries.size > 0 ? '; its unfinished output was removed' : '';
      process.stderr.write(
        signal === 'SIGINT'
          ? `oc-explain: interrupted${cleaned}\n`
          : `oc-explain: stopped by ${signal}${signal === 'SIGKILL' ? ' (out of memory?)' : ''}${cleaned}\n`,
      );
      done(128 + constants.signals[signal]);
    });
  });
}

/** Help and version write nothing: they need no second process. */
const writesNothing = (argv: string[]) =>
  argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === '--version') || argv[0] === 'help';

/** The CLI entry point (bin/oc-explain.js): supervise, or — in the supervised child — run. */
export async function runCli(script: string, argv: string[]): Promise<number> {
  if (process.env[SUPERVISED_ENV] !== '1' && !writesNothing(argv)) return supervise(script, argv);
  // output piped into a reader that stops early (`| head`): stop quietly, as other tools do
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.exitCode = reportError(e, argv.includes('--debug'));
    process.exit();
  });
  process.on('uncaughtException', (e) => {
    process.exitCode = reportError(e, argv.includes('--debug'));
    process.exit();
  });
  process.on('unhandledRejection', (e) => {
    process.exitCode = reportError(e, argv.includes('--debug'));
    process.exit();
  });
  return main(argv);
}
