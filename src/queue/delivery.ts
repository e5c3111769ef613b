import { RateLimitError, WaitingError } from 'bullmq';
import type { Job } from 'bullmq';
import { envelopeBody, relayout } from '../events/encode.js';
import type { EventsMediaTypeName } from '../events/types.js';
import { toError } from '../errors.js';
import { statusKey } from '../metrics/status-text.js';
import type { PostResult } from '../sinks/http-post.js';
import type { Logger } from '../log.js';
import { layoutMediaType } from './layout.js';
import type { EndpointStore, StoredEvent } from './store.js';

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
}

/**
 * Events read per run: at least `readAhead`, and with batching four envelopes' worth, so one
 * peek and one finish (two Redis round trips) serve several POSTs. This is also how many events
 * may be POSTed again after a crash (delivery is at-least-once).
 */
export function readWindow(policy: Pick<DeliveryPolicy, 'readAhead' | 'maxBatch'>): number {
  return Math.max(policy.readAhead, policy.maxBatch > 1 ? policy.maxBatch * 4 : 1);
}

export type Poster = (
  body: string,
  options: { mediaType: string; count: number; signal: AbortSignal },
) => Promise<PostResult>;

export interface DeliveryDeps {
  policy: DeliveryPolicy;
  store: EndpointStore;
  post: Poster;
  logger: Logger;
  now?: () => number;
  /** True once the worker is shutting down: finish the POST in flight, start no other. */
  closing: () => boolean;
}

interface Run {
  reset: boolean;
  counts: Record<string, number>;
  done: Set<string>;
  dead: string[];
  backoff: boolean;
}

function count(run: Run, field: string, n: number): void {
  run.counts[field] = (run.counts[field] ?? 0) + n;
}

/**
 * The BullMQ processor of one endpoint. It holds the head job (so no other worker can start:
 * the queue's global concurrency is 1), reads the next events in one round trip, POSTs them in
 * order — retrying at once while the shared breaker allows, then handing the backoff to
 * BullMQ's rate limiter so that every worker waits — and ends with one round trip that records
 * the counters and removes what was delivered. Nothing thrown here may escape except BullMQ's
 * own WaitingError/RateLimitError, which put the job back at the head of the queue.
 */
export function makeProcessor(deps: DeliveryDeps) {
  const { policy, store, logger } = deps;
  const now = deps.now ?? Date.now;

  const outputType = (e: StoredEvent): EventsMediaTypeName =>
    policy.mediaType || layoutMediaType(e.layout);

  const expired = (e: StoredEvent) => policy.maxAgeMs > 0 && now() - e.acceptedAt > policy.maxAgeMs;

  function deadLetter(run: Run, events: StoredEvent[], reason: string, detail: string): void {
    for (const e of events) {
      run.done.add(e.id);
      run.dead.push(
        JSON.stringify({
          id: eventIdOf(e.raw),
          jobId: e.id,
          layout: e.layout,
          raw: e.raw,
          acceptedAt: e.acceptedAt,
          attempts: e.attempts,
          reason,
          detail,
          at: now(),
        }),
      );
      logger.error(
        { eventId: eventIdOf(e.raw), jobId: e.id, reason, detail },
        'event dead-lettered: delivery given up',
      );
    }
    count(run, 'dead', events.length);
  }

  /** POSTs one envelope until it is delivered, dead-lettered, or the breaker says wait. */
  async function deliver(run: Run, batch: StoredEvent[], signal: AbortSignal): Promise<boolean> {
    const mediaType = outputType(batch[0]!);
    const body = envelopeBody(
      batch.map((e) =>
        policy.mediaType && outputType(e) !== layoutMediaType(e.layout)
          ? relayout(e.raw, mediaType)
          : e.raw,
      ),
    );
    const first = batch[0]!;
    for (;;) {
      const result = await deps.post(body, { mediaType, count: batch.length, signal });
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
        now: now(),
        threshold: policy.threshold,
        backoffMs: policy.backoffMs,
        retryAfterMs:
          policy.retryAfter && 'retryAfterMs' in result ? (result.retryAfterMs ?? 0) : 0,
        resetFirst: run.reset,
      });
      run.reset = false;
      first.attempts = outcome.attempts;
      logger.warn(
        {
          eventId: eventIdOf(first.raw),
          jobId: first.id,
          events: batch.length,
          recent: outcome.recent,
          waitMs: outcome.waitMs,
          err: result.error.message,
        },
        'delivery attempt failed',
      );
      if (policy.maxRetries > 0 && outcome.attempts > policy.maxRetries) {
        deadLetter(run, batch, 'maxretries', result.error.message);
        return true;
      }
      if (outcome.waitMs > 0) {
        run.backoff = true;
        return false;
      }
      if (deps.closing() || signal.aborted) return false;
    }
  }

  async function runQueue(run: Run, events: StoredEvent[], signal: AbortSignal): Promise<void> {
    let i = 0;
    while (i < events.length && !run.backoff) {
      if (i > 0 && (deps.closing() || signal.aborted)) return;
      const e = events[i]!;
      if (expired(e)) {
        deadLetter(run, [e], 'maxage', `older than ${policy.maxAgeMs} ms`);
        i++;
        continue;
      }
      const batch = [e];
      while (batch.length < policy.maxBatch && i + batch.length < events.length) {
        const next = events[i + batch.length]!;
        if (expired(next) || outputType(next) !== outputType(e)) break;
        batch.push(next);
      }
      if (!(await deliver(run, batch, signal))) return;
      i += batch.length;
    }
  }

  return async function process(
    job: Job<unknown, unknown, string>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const abort = signal ?? new AbortController().signal;
    const run: Run = { reset: false, counts: {}, done: new Set(), dead: [], backoff: false };
    const headId = job.id ?? '';
    try {
      const { headAttempts, headRaw, next } = await store.peek(headId, readWindow(policy) - 1);
      const head: StoredEvent = {
        id: headId,
        layout: job.name,
        raw: headRaw || (typeof job.data === 'string' ? job.data : JSON.stringify(job.data)),
        acceptedAt: job.timestamp,
        attempts: headAttempts,
      };
      const events = [head, ...next];
      await runQueue(run, events, abort);
      const remove = next.filter((e) => run.done.has(e.id)).map((e) => e.id);
      const removed = await store.finish({
        reset: run.reset,
        counts: run.counts,
        remove,
        dead: run.dead,
      });
      if (!removed)
        logger.warn(
          { events: remove.length },
          'read-ahead events moved meanwhile: they will be sent again',
        );
    } catch (err) {
      // Redis trouble (or a bug): never let it reach BullMQ, which would fail the job = lose it.
      logger.error(
        { jobId: headId, err: toError(err).message },
        'delivery run failed; the event stays at the head of the queue',
      );
      await job.moveToWait(token).catch(() => undefined);
      throw new WaitingError();
    }
    if (run.done.has(headId)) return; // BullMQ completes (and removes) the head job
    if (run.backoff) throw new RateLimitError(); // BullMQ puts it back at the head; all workers wait
    await job.moveToWait(token).catch(() => undefined);
    throw new WaitingError();
  };
}

/** The event id inside a stored event's text ('' when it has none). */
function eventIdOf(raw: string): string {
  try {
    const { id } = JSON.parse(raw) as { id?: unknown };
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}
