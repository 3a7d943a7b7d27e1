/**
 * Work shared between threads by claiming chunks: the chunks of one batch are numbered
 * [first, first + count) on an ever-growing counter in shared memory, and every thread (the main
 * thread and its workers) claims the next unclaimed chunk until none is left. A thread that starts
 * late or runs slowly (a busy machine) simply claims fewer, so no thread waits for a fixed share of
 * another's. Each batch starts where the last one ended, so a thread still finishing an earlier
 * batch can never claim a chunk of the next.
 */

/** Slots of the control array (Int32Array over a SharedArrayBuffer); users may add theirs after these. */
export const CLAIMED = 0; // chunk claims so far
export const FINISHED = 1; // chunks finished so far
export const FAILED = 2; // 1 once a worker failed
export const CONTROL_SLOTS = 3;

/** A worker that has claimed a chunk but not finished it within this time is taken as lost. */
const CHUNK_TIMEOUT_MS = 600_000;

export function newControl(slots = CONTROL_SLOTS): Int32Array {
  return new Int32Array(new SharedArrayBuffer(slots * 4));
}

/** Claim and compute chunks of the batch [first, first + count) (compute gets c − first); returns those done here. */
export function claimChunks(
  control: Int32Array,
  first: number,
  count: number,
  compute: (chunk: number) => void,
): number[] {
  const end = first + count;
  const mine: number[] = [];
  for (;;) {
    const v = Atomics.load(control, CLAIMED);
    if (v >= end || v < first) return mine;
    if (Atomics.compareExchange(control, CLAIMED, v, v + 1) !== v) continue;
    try {
      compute(v - first);
    } catch (e) {
      Atomics.store(control, FAILED, 1);
      Atomics.notify(control, FINISHED);
      throw e;
    }
    mine.push(v - first);
    Atomics.add(control, FINISHED, 1);
    Atomics.notify(control, FINISHED);
  }
}

/** Where the next batch starts (every claim of the last one made). */
export function nextFirst(control: Int32Array): number {
  return Atomics.load(control, CLAIMED);
}

/**
 * Block this thread until the chunks up to `end` are finished (the last ones claimed by workers).
 * Throws when a worker failed (its own error reaches the caller through the pool) or went silent.
 */
export function awaitChunks(control: Int32Array, end: number, what: string): void {
  const started = Date.now();
  for (;;) {
    const done = Atomics.load(control, FINISHED);
    if (done >= end) return;
    if (Atomics.load(control, FAILED)) throw new Error(`${what}: a worker failed`);
    if (Date.now() - started > CHUNK_TIMEOUT_MS)
      throw new Error(`${what}: no answer from a worker within ${CHUNK_TIMEOUT_MS / 1000} s`);
    Atomics.wait(control, FINISHED, done, 1000);
  }
}
