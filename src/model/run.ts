/**
 * One loop, two ways to run it. fit, evaluate and predict are written once, as generators that
 * yield at every point where giving the event loop a turn would be safe (after each batch) and
 * wherever a callback returned a promise. `runToEnd` runs such a generator straight through (the
 * synchronous fit / evaluate / predict: it ignores both, as before); `runYielding` runs it for
 * the async forms: it awaits the callbacks' promises, yields to the event loop at most every
 * `sliceMs` milliseconds of work (not at every batch: the small models do tens of thousands of
 * batches a second), and asks the loop to stop when the signal aborts. Same steps, same order:
 * the same bits either way.
 */

/** What a run yields: undefined at a batch boundary, or a callback's promise to await. */
export type RunStep = undefined | PromiseLike<unknown>;
export type Run<T> = Generator<RunStep, T, void>;

/** The synchronous form: every step at once; promises from callbacks are not awaited. */
export function runToEnd<T>(run: Run<T>): T {
  for (;;) {
    const step = run.next();
    if (step.done === true) return step.value;
  }
}

export interface YieldingOptions {
  /** The longest stretch of work between two turns of the event loop, in milliseconds. */
  sliceMs: number;
  /** Checked at every batch boundary; when it aborts, `stop` is called once and the run goes on to its end. */
  signal?: AbortSignal;
  stop?: () => void;
}

/** The asynchronous form: awaits the callbacks' promises, and gives the event loop a turn every `sliceMs`. */
export async function runYielding<T>(run: Run<T>, options: YieldingOptions): Promise<T> {
  const clock = typeof performance === 'object' ? () => performance.now() : () => Date.now();
  let since = clock();
  let stopped = false;
  for (;;) {
    const step = run.next();
    if (step.done === true) return step.value;
    if (step.value !== undefined) {
      await step.value; // a callback's promise: the run continues once it settles
      since = clock();
    } else if (clock() - since >= options.sliceMs) {
      await nextTurn();
      since = clock();
    }
    if (!stopped && options.signal?.aborted === true) {
      stopped = true;
      options.stop?.();
    }
  }
}

/** A promise that settles on a later turn of the event loop, after timers and I/O that are due (and, in a page, rendering). */
export function nextTurn(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve)); // Node: after the poll phase, timers included
  if (typeof MessageChannel === 'function') {
    // Browsers and workers: a task of its own, without the 4 ms clamp of nested setTimeout.
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Whether a callback's return value is a promise (or any thenable) to await. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
