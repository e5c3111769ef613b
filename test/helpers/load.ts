/**
 * A steady ingest load, as a registry produces it: K concurrent senders POST one-event envelopes
 * to an ingest at a bounded total rate, and every request is recorded — which event it carried,
 * when it was sent and answered, and with what (status 0 = no answer: refused, reset, timed out).
 * An event is acknowledged when its POST got 200; that is the set chaos tests hold delivery to.
 *
 * Every event is new (no retry of refused ones): a refused event is simply not acknowledged, so
 * nothing is owed for it, which keeps "acknowledged ⊆ delivered" exact.
 */
import { encodeEnvelope } from '../../src/events/encode.js';
import { makeEvent } from '../fixtures/sample-event.js';
import { delay } from './wait.js';

export interface LoadOptions {
  /** The ingest's envelope URL, e.g. http://127.0.0.1:P/events. */
  url: string;
  /** Concurrent senders (K). Default 4. */
  senders?: number;
  /** Upper bound on requests per second, all senders together. Default 100. */
  ratePerSec?: number;
  /** Event id prefix (makeEvent's tag), unique per test. */
  tag: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** A request with no answer after this long is abandoned (status 0). Default 10 s. */
  requestTimeoutMs?: number;
}

export interface SentRequest {
  id: string;
  /** performance.timeOrigin + performance.now(), the clock receiver.ts uses. */
  sentAt: number;
  answeredAt?: number;
  /** HTTP status; 0 = no HTTP answer (see `error`); undefined while in flight. */
  status?: number;
  error?: string;
}

/** Which time of a request `since` bounds: when it was sent, or when it was answered. */
export type Since = 'sent' | 'answered';

export interface Load {
  readonly requests: readonly SentRequest[];
  /** Ids of the events answered 200, in the order they were answered. */
  acked(): string[];
  /** Number of answers per status ('0' = no answer). */
  statusCounts(): Record<string, number>;
  /**
   * The earliest-answered request with `status` that was sent (by 'sent', the default) or
   * answered (by 'answered') at or after `since`, if any.
   */
  firstAnswered(status: number, since: number, by?: Since): SentRequest | undefined;
  /** Resolves with what firstAnswered finds, as soon as it finds it; rejects after timeoutMs. */
  waitForAnswer(status: number, since: number, timeoutMs: number, by?: Since): Promise<SentRequest>;
  /** Stops sending and waits for the requests in flight. Idempotent. */
  stop(): Promise<void>;
}

export function now(): number {
  return performance.timeOrigin + performance.now();
}

export function startLoad(options: LoadOptions): Load {
  const senders = options.senders ?? 4;
  const interval = 1000 / (options.ratePerSec ?? 100);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const requests: SentRequest[] = [];
  const answered = new Set<() => void>();
  let running = true;
  let next = 0;
  let nextSlot = now();

  const sendOne = async (): Promise<void> => {
    // Slots are handed out one interval apart, so the total rate is bounded whatever K is.
    const slot = Math.max(now(), nextSlot);
    nextSlot = slot + interval;
    if (slot > now()) await delay(slot - now());
    if (!running) return;
    const event = makeEvent(next++, options.tag);
    const record: SentRequest = { id: event.id, sentAt: now() };
    requests.push(record);
    try {
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/vnd.docker.distribution.events.v1+json',
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        },
        body: encodeEnvelope([event]),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      record.status = res.status;
    } catch (err) {
      record.status = 0;
      const e = err as Error & { cause?: { code?: string } };
      record.error = e.cause?.code ?? e.name;
    }
    record.answeredAt = now();
    for (const wake of [...answered]) wake();
  };

  const loops = Array.from({ length: senders }, async () => {
    while (running) await sendOne();
  });

  const firstAnswered = (
    status: number,
    since: number,
    by: Since = 'sent',
  ): SentRequest | undefined => {
    let best: SentRequest | undefined;
    for (const r of requests) {
      if (r.status !== status || r.answeredAt === undefined) continue;
      if ((by === 'sent' ? r.sentAt : r.answeredAt) < since) continue;
      if (best === undefined || r.answeredAt < (best.answeredAt ?? Infinity)) best = r;
    }
    return best;
  };

  const statusCounts = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const r of requests) {
      if (r.status === undefined) continue;
      counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
    }
    return counts;
  };

  let stopped: Promise<void> | undefined;
  return {
    requests,
    acked: () =>
      requests
        .filter((r) => r.status === 200)
        .sort((a, b) => (a.answeredAt ?? 0) - (b.answeredAt ?? 0))
        .map((r) => r.id),
    statusCounts,
    firstAnswered,
    waitForAnswer(status, since, waitMs, by = 'sent'): Promise<SentRequest> {
      return new Promise((resolve, reject) => {
        const finish = (found: SentRequest | undefined, err?: Error): void => {
          clearTimeout(timer);
          answered.delete(check);
          if (found !== undefined) resolve(found);
          else reject(err);
        };
        const check = (): void => {
          const found = firstAnswered(status, since, by);
          if (found !== undefined) finish(found);
        };
        const timer = setTimeout(() => {
          const counts = JSON.stringify(statusCounts());
          finish(
            undefined,
            new Error(
              `load: no ${status} answer to a request ${by} after the mark within ${waitMs} ms (answers so far: ${counts})`,
            ),
          );
        }, waitMs);
        answered.add(check);
        check();
      });
    },
    stop(): Promise<void> {
      running = false;
      stopped ??= Promise.all(loops).then(() => undefined);
      return stopped;
    },
  };
}
