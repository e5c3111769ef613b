import { envelopeBody, relayout } from '../events/encode.js';
import type { EventsMediaTypeName } from '../events/types.js';
import type { Logger } from '../log.js';
import { statusKey } from '../metrics/status-text.js';
import type { PostResult } from '../sinks/http-post.js';
import type { AttemptSigner } from '../sinks/signing.js';
import type { BatchSigner, BodyEncoder } from './delivery-format.js';
import type { HeadJob } from './event-worker.js';
import { attemptEntry } from './history.js';
import type { HistoryLimits } from './history.js';
import { layoutMediaType, rawFromStored } from './layout.js';
import { count, deadLetter, eventIdOf } from './delivery-run.js';
import type { Run } from './delivery-run.js';
import type { EndpointStore, FinishSpec, StoredEvent } from './store.js';

/**
 * The four steps of one delivery run — peek, batch, attempt, finish — as plain functions with
 * their dependencies passed in. delivery.ts composes them into BullMQ's processor.
 */

export interface DeliveryPolicy {
  threshold: number;
  backoffMs: number;
  /** Events per envelope when a backlog exists (1 = the original's behaviour). */
  maxBatch: number;
  /** Events read per Redis round trip while holding the head job (strict order only). */
  readAhead: number;
  /** Give up on an event after this many failed attempts (0 = never). */
  maxRetries: number;
  /** Give up on an event older than this (0 = never). */
  maxAgeMs: number;
  /** Honour Retry-After on 429/503 as the backoff. */
  retryAfter: boolean;
  /** Send every event in this layout ('' = the layout it arrived in). */
  mediaType: EventsMediaTypeName | '';
  /** Another body than the registry's envelope (CloudEvents); see delivery-format.ts. */
  encode?: BodyEncoder;
  /** Signs each attempt (Standard Webhooks); see delivery-format.ts. */
  sign?: BatchSigner;
  /** Keep each attempt in the endpoint's history (history.ts); absent = keep none. */
  history?: HistoryLimits;
  /** Keep at most this many dead letters (the oldest go, counted and logged); 0 = no cap. */
  deadLettersMax?: number;
}

export type Poster = (
  body: string,
  options: { mediaType: string; count: number; signal: AbortSignal; sign?: AttemptSigner },
) => Promise<PostResult>;

/** What the steps share: the endpoint's policy, its Redis state, the HTTP attempt, a clock. */
export interface StepDeps {
  policy: DeliveryPolicy;
  store: EndpointStore;
  post: Poster;
  logger: Logger;
  now: () => number;
  /** Aborted once the worker is shutting down: finish the POST in flight, start no other. */
  stopping: AbortSignal;
  /**
   * Waits until the endpoint's rate limit lets a POST go out (rate-limit.ts); false = aborted
   * meanwhile, send nothing. Unset = no limit.
   */
  pace?: Pace;
}

/** The rate limit's wait before a POST: true = go, false = aborted meanwhile. */
export type Pace = (signal: AbortSignal) => Promise<boolean>;

/**
 * Peek: the head event (its bytes as BullMQ's moveToActive read them) and up to `window − 1`
 * events after it, with the head's failed attempts, in one round trip.
 */
export async function peek(
  store: EndpointStore,
  job: HeadJob,
  window: number,
): Promise<StoredEvent[]> {
  const id = job.id ?? '';
  const { headAttempts, next } = await store.peek(id, window - 1);
  const head: StoredEvent = {
    id,
    layout: job.name,
    raw: rawFromStored(job.data.stored),
    acceptedAt: job.timestamp,
    attempts: headAttempts,
  };
  return [head, ...next];
}

/** The layout an event is sent in: the endpoint's, or the one it arrived in. */
function outputType(policy: DeliveryPolicy, e: StoredEvent): EventsMediaTypeName {
  return policy.mediaType || layoutMediaType(e.layout);
}

export function expired(policy: DeliveryPolicy, e: StoredEvent, now: number): boolean {
  return policy.maxAgeMs > 0 && now - e.acceptedAt > policy.maxAgeMs;
}

/**
 * Batch: the events from `events[from]` that go into one envelope — up to `maxBatch`
 * consecutive events, none expired, all sent in the same layout. The first one is not expired
 * (the caller dead-letters expired events before asking).
 */
export function nextBatch(
  policy: DeliveryPolicy,
  events: readonly StoredEvent[],
  from: number,
  now: number,
): StoredEvent[] {
  const first = events[from]!;
  const batch = [first];
  while (batch.length < policy.maxBatch && from + batch.length < events.length) {
    const next = events[from + batch.length]!;
    if (expired(policy, next, now) || outputType(policy, next) !== outputType(policy, first)) {
      break;
    }
    batch.push(next);
  }
  return batch;
}

/**
 * Attempt: POSTs one envelope until it is delivered, dead-lettered, or the breaker says wait —
 * retrying at once while the shared breaker allows, then handing the backoff to BullMQ's rate
 * limiter (failureScript) so that every worker waits. True when the batch is done with.
 */
export async function attempt(
  deps: StepDeps,
  run: Run,
  batch: StoredEvent[],
  signal: AbortSignal,
): Promise<boolean> {
  const { policy, store, logger } = deps;
  const first = batch[0]!;
  const mediaType = outputType(policy, first);
  const texts = batch.map((e) =>
    policy.mediaType && outputType(policy, e) !== layoutMediaType(e.layout)
      ? relayout(e.raw, mediaType)
      : e.raw,
  );
  const { body, contentType } = policy.encode?.(texts) ?? {
    body: envelopeBody(texts),
    contentType: mediaType,
  };
  const sign = policy.sign?.(batch);
  const options = { mediaType: contentType, count: batch.length, signal, ...(sign && { sign }) };
  const keepHistory = (policy.history?.maxAttempts ?? 0) > 0;
  for (;;) {
    // Every POST, retries included, counts against the rate limit.
    if (deps.pace && !(await deps.pace(AbortSignal.any([signal, deps.stopping])))) return false;
    const started = performance.now();
    const result = await deps.post(body, options);
    if (keepHistory) {
      const ms = performance.now() - started;
      for (const e of batch) run.history.push(attemptEntry(e, result, ms));
    }
    if (result.ok) {
      count(run, 'successes', batch.length);
      count(run, 'delivered', batch.length);
      count(run, `s:${statusKey(result.status)}`, batch.length);
      run.reset = true;
      for (const e of batch) run.done.add(e.id);
      return true;
    }
    if (result.status > 0) {
      count(run, 'failures', batch.length);
      count(run, `s:${statusKey(result.status)}`, batch.length);
    } else {
      count(run, 'errors', batch.length);
    }
    const outcome = await store.failure(first.id, {
      now: deps.now(),
      threshold: policy.threshold,
      backoffMs: policy.backoffMs,
      retryAfterMs: policy.retryAfter && 'retryAfterMs' in result ? (result.retryAfterMs ?? 0) : 0,
      resetFirst: run.reset,
    });
    run.reset = false;
    // The attempt numbers of the next history entries (the breaker counted this one).
    for (const e of batch) e.attempts += 1;
    first.attempts = outcome.attempts;
    logger.warn(
      {
        eventId: eventIdOf(first.raw),
        jobId: first.id,
        events: batch.length,
        recent: outcome.recent,
        waitMs: outcome.waitMs,
        err: result.error,
      },
      'delivery attempt failed',
    );
    if (policy.maxRetries > 0 && outcome.attempts > policy.maxRetries) {
      deadLetter(deps, run, batch, 'maxretries', result.error.message);
      return true;
    }
    if (outcome.waitMs > 0) {
      run.backoff = true;
      return false;
    }
    if (deps.stopping.aborted || signal.aborted) return false;
  }
}

/**
 * Finish: one round trip that records the run's counters and dead letters and removes the
 * read-ahead jobs that are done with (the head job is BullMQ's to complete).
 */
export async function finish(
  store: EndpointStore,
  logger: Logger,
  policy: DeliveryPolicy,
  run: Run,
  next: readonly StoredEvent[],
): Promise<void> {
  const remove = next.filter((e) => run.done.has(e.id)).map((e) => e.id);
  const { removed, deadDropped } = await store.finish({
    reset: run.reset,
    counts: run.counts,
    remove,
    dead: run.dead,
    ...historySpec(policy, run, Date.now()),
  });
  if (deadDropped > 0) {
    logger.warn(
      { dropped: deadDropped, max: policy.deadLettersMax },
      'dead-letter list full: dropped the oldest dead letters',
    );
  }
  if (!removed) {
    logger.warn(
      { events: remove.length },
      'read-ahead events moved meanwhile: they will be sent again',
    );
  }
}

/** The history and dead-letter bounds a finish applies, with the run's attempts. */
export function historySpec(
  policy: Pick<DeliveryPolicy, 'history' | 'deadLettersMax'>,
  run: Pick<Run, 'history'>,
  now: number,
): Pick<FinishSpec, 'history' | 'historyMax' | 'historyMinId' | 'deadMax'> {
  const limits = policy.history;
  return {
    history: run.history,
    historyMax: limits?.maxAttempts ?? 0,
    historyMinId: limits && limits.maxAgeMs > 0 ? Math.max(0, now - limits.maxAgeMs) : 0,
    deadMax: policy.deadLettersMax ?? 0,
  };
}
