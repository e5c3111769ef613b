import { RateLimitError, WaitingError } from 'bullmq';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import { abortableSleep } from '../sinks/retrying.js';
import { deadLetter, newRun } from './delivery-run.js';
import type { Run } from './delivery-run.js';
import { attempt, expired, finish, nextBatch, peek } from './delivery-steps.js';
import type { DeliveryPolicy, Pace, Poster, StepDeps } from './delivery-steps.js';
import type { HeadJob } from './event-worker.js';
import type { EndpointStore, StoredEvent } from './store.js';

export type { DeliveryPolicy, Poster } from './delivery-steps.js';

/**
 * Events read per run: at least `readAhead`, and with batching four envelopes' worth, so one
 * peek and one finish (two Redis round trips) serve several POSTs. This is also how many events
 * may be POSTed again after a crash (delivery is at-least-once).
 */
export function readWindow(policy: Pick<DeliveryPolicy, 'readAhead' | 'maxBatch'>): number {
  return Math.max(policy.readAhead, policy.maxBatch > 1 ? policy.maxBatch * 4 : 1);
}

export interface DeliveryDeps {
  policy: DeliveryPolicy;
  store: EndpointStore;
  post: Poster;
  logger: Logger;
  now?: () => number;
  /** Aborted once the worker is shutting down: finish the POST in flight, start no other. */
  stopping: AbortSignal;
  /** A run failed on something unexpected (Redis trouble, a bug): the metrics hook. */
  onError?: (err: Error) => void;
  /** The rate limit's wait before each POST (delivery-steps.ts StepDeps). */
  pace?: Pace;
}

/** BullMQ's processor of one endpoint's jobs. */
export type DeliveryProcessor = (
  job: HeadJob,
  token?: string,
  signal?: AbortSignal,
) => Promise<void>;

/**
 * The BullMQ processor of a parallel endpoint (event-worker.ts parallelWorker; strict endpoints
 * run makeStrictRunner in strict-loop.ts). It holds its job, reads the job's failed attempts
 * (peek; with a wider window, the events after it — what the strict path once did), POSTs
 * (attempt), and ends with one round trip that records the counters (finish). Nothing thrown
 * here may escape except BullMQ's own WaitingError/RateLimitError, which put the job back at
 * the head of the queue.
 */
export function makeProcessor(deps: DeliveryDeps): DeliveryProcessor {
  const steps: StepDeps = { ...deps, now: deps.now ?? Date.now };
  const window = readWindow(deps.policy);

  let failedRuns = 0; // in a row: how long the next wait is

  return async function deliverJob(job, token, signal) {
    const abort = signal ?? new AbortController().signal;
    const run = newRun();
    const headId = job.id ?? '';
    try {
      const events = await peek(deps.store, job, window);
      await deliverInOrder(steps, run, events, abort);
      await finish(deps.store, deps.logger, deps.policy, run, events.slice(1));
      failedRuns = 0;
    } catch (thrown) {
      // Redis trouble or a bug: never let it reach BullMQ, which would fail the job = lose it.
      // Nor put the job back at once: a cause that does not go away (a bug, a stored event that
      // cannot be read) would repeat the run as fast as Redis answers. The job stays ours while
      // we wait (BullMQ renews its lock) unless the worker stops or the lock is lost.
      const err = toError(thrown);
      failedRuns += 1;
      const retryInMs = errorBackoffMs(failedRuns);
      deps.logger.error(
        { jobId: headId, err, retryInMs },
        'delivery run failed; the event stays at the head of the queue',
      );
      deps.onError?.(err);
      await abortableSleep(retryInMs, AbortSignal.any([abort, deps.stopping]));
      await job.moveToWait(token).catch(() => undefined);
      throw new WaitingError();
    }
    if (run.done.has(headId)) return; // BullMQ completes (and removes) the head job
    if (run.backoff) throw new RateLimitError(); // BullMQ puts it back at the head; all workers wait
    await job.moveToWait(token).catch(() => undefined);
    throw new WaitingError();
  };
}

/** What a strict run came to (strict-loop.ts finishes it in Redis). */
export interface RunResult {
  run: Run;
  /** The events read: the head first. Empty when reading them failed. */
  events: StoredEvent[];
  /** False: the run failed unexpectedly (logged, counted, and already backed off). */
  ok: boolean;
}

/** Delivers the events a strict take read (`read` turns the reply into events, and may throw). */
export type StrictRunner = (read: () => StoredEvent[], signal: AbortSignal) => Promise<RunResult>;

/**
 * The strict worker's run (strict-loop.ts takes the head and the events after it, and finishes
 * the run, in one round trip): groups the events into envelopes and POSTs them in order, as
 * makeProcessor does. An unexpected failure is logged whole, counted and waited out here (the
 * loop keeps the head's lock meanwhile); the loop then puts the head back.
 */
export function makeStrictRunner(deps: DeliveryDeps): StrictRunner {
  const steps: StepDeps = { ...deps, now: deps.now ?? Date.now };
  let failedRuns = 0;
  return async function deliverTaken(read, signal) {
    const run = newRun();
    let events: StoredEvent[] = [];
    try {
      events = read();
      await deliverInOrder(steps, run, events, signal);
      failedRuns = 0;
      return { run, events, ok: true };
    } catch (thrown) {
      const err = toError(thrown);
      failedRuns += 1;
      const retryInMs = errorBackoffMs(failedRuns);
      deps.logger.error(
        { jobId: events[0]?.id, err, retryInMs },
        'delivery run failed; the event stays at the head of the queue',
      );
      deps.onError?.(err);
      await abortableSleep(retryInMs, AbortSignal.any([signal, deps.stopping]));
      return { run, events, ok: false };
    }
  };
}

/**
 * The wait after the n-th unexpected failure in a row: 1 s, doubling, at most 10 s — the cap
 * the worker's own pause on a Redis that refuses writes has (refusals.ts), so that delivery
 * resumes within seconds once the trouble is over.
 */
export function errorBackoffMs(failedRuns: number): number {
  return Math.min(1000 * 2 ** Math.min(failedRuns - 1, 4), 10_000);
}

/** Batches and attempts `events` in order until all are done, the breaker says wait, or closing. */
async function deliverInOrder(
  deps: StepDeps,
  run: Run,
  events: readonly StoredEvent[],
  signal: AbortSignal,
): Promise<void> {
  let i = 0;
  while (i < events.length && !run.backoff) {
    if (i > 0 && (deps.stopping.aborted || signal.aborted)) return;
    const e = events[i]!;
    if (expired(deps.policy, e, deps.now())) {
      deadLetter(deps, run, [e], 'maxage', `older than ${deps.policy.maxAgeMs} ms`);
      i++;
      continue;
    }
    const batch = nextBatch(deps.policy, events, i, deps.now());
    if (!(await attempt(deps, run, batch, signal))) return;
    i += batch.length;
  }
}
