/**
 * Polling with a deadline: the one way tests wait for something that has no event to listen to.
 * A fixed sleep either wastes time or flakes; this returns as soon as the condition holds and
 * fails with a message saying what never happened.
 */
export interface WaitUntilOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 20 ms). */
  intervalMs?: number;
  /** What was awaited, for the error message. */
  message?: string;
}

export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitUntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
      lastError = undefined;
    } catch (err) {
      // A condition that throws (e.g. Redis briefly unreachable) is "not yet", but keep the
      // error: if the deadline passes, it is the likeliest explanation.
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.message ?? 'condition';
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`waitUntil: ${what} not met within ${timeoutMs} ms${cause}`);
    }
    await delay(intervalMs);
  }
}

/** Resolves after `ms`. Only for pacing a poll or simulating work — never as synchronisation. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function exposed, for handing control between test and callback. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
