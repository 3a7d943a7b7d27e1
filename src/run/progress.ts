/**
 * What a long job tells the user while it works, on stderr: one line when a stage begins (always —
 * in a log file that is all there is), and on a terminal a cli-progress bar for stages that count
 * units. Stage lines end with '…', so that they never read as an error line. Library callers get
 * SILENT_PROGRESS by default.
 */
import { SingleBar } from 'cli-progress';

export interface StepProgress {
  /** `done` units of `total` finished */
  update(done: number): void;
  stop(): void;
}

export interface Progress {
  /** whether bars are drawn (a terminal): code with bars of its own (training) asks this */
  readonly terminal: boolean;
  /** a stage begins (one line) */
  stage(what: string): void;
  /** a stage of `total` units: its line, and on a terminal a bar that `update` moves */
  steps(what: string, total: number, unit?: string): StepProgress;
  /** a remark that is not a stage: a warning, a method left out */
  note(line: string): void;
}

const NO_STEPS: StepProgress = { update: () => undefined, stop: () => undefined };

export const SILENT_PROGRESS: Progress = {
  terminal: false,
  stage: () => undefined,
  steps: () => NO_STEPS,
  note: () => undefined,
};

/**
 * Progress on stderr. `header` (e.g. the tfjs backend) is printed before the first stage, so that
 * nothing is printed before the work really begins (an error before it stays the only line).
 */
export function stderrProgress(options: { terminal?: boolean; header?: string } = {}): Progress {
  const terminal = options.terminal ?? Boolean(process.stderr.isTTY);
  let header = options.header;
  const write = (line: string) => {
    if (header !== undefined) process.stderr.write(`oc-explain: ${header}\n`);
    header = undefined;
    process.stderr.write(`oc-explain: ${line}\n`);
  };
  return {
    terminal,
    stage: (what) => write(`${what} …`),
    note: (line) => write(line),
    steps(what, total, unit = 'samples') {
      write(`${what} …`);
      if (!terminal || total <= 0) return NO_STEPS;
      const bar = new SingleBar({
        format: `  [{bar}] {value}/{total} ${unit} | {duration}s`,
        stream: process.stderr,
        hideCursor: false,
      });
      bar.start(total, 0);
      return { update: (done) => bar.update(done), stop: () => bar.stop() };
    },
  };
}

/** Run `work` as a stage of `total` units, stopping the bar however it ends. */
export async function withSteps<T>(
  progress: Progress,
  what: string,
  total: number,
  work: (update: (done: number) => void) => T | Promise<T>,
  unit?: string,
): Promise<T> {
  const step = progress.steps(what, total, unit);
  try {
    return await work((done) => step.update(done));
  } finally {
    step.stop();
  }
}
