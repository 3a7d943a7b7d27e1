/** A cli-progress bar on stderr for one long step, or nothing when progress is off. */
import { SingleBar } from 'cli-progress';

export interface StepProgress {
  /** `done` units of `total` finished */
  update(done: number): void;
  stop(): void;
}

const SILENT: StepProgress = { update: () => undefined, stop: () => undefined };

export function stepProgress(label: string, total: number, enabled: boolean, unit = 'samples'): StepProgress {
  if (!enabled || total <= 0) return SILENT;
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} ${unit} | {duration}s`,
    stream: process.stderr,
    hideCursor: false,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
