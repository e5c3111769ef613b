/**
 * What one delivery run has done so far (delivery-steps.ts fills it, `finish` writes it to Redis
 * in one round trip), and giving up on events.
 */
import type { Logger } from '../log.js';
import type { StoredEvent } from './store.js';

/** The state of one run. */
export interface Run {
  /** An attempt succeeded after the last recorded failure: the breaker count goes back to 0. */
  reset: boolean;
  /** Counters for the endpoint's metrics hash (field → increment). */
  counts: Record<string, number>;
  /** Jobs delivered or dead-lettered. */
  done: Set<string>;
  /** Dead-letter entries (JSON) to push. */
  dead: string[];
  /** The breaker holds every worker back: the run stops here. */
  backoff: boolean;
  /** Each event's attempts, as stream entries (history.ts), written when the run ends. */
  history: string[];
}

export function newRun(): Run {
  return { reset: false, counts: {}, done: new Set(), dead: [], backoff: false, history: [] };
}

export function count(run: Run, field: string, n: number): void {
  run.counts[field] = (run.counts[field] ?? 0) + n;
}

/** Gives up on `events`: each becomes a dead-letter entry and an error line. */
export function deadLetter(
  deps: { logger: Logger; now: () => number },
  run: Run,
  events: readonly StoredEvent[],
  reason: string,
  detail: string,
): void {
  for (const e of events) {
    const eventId = eventIdOf(e.raw);
    run.done.add(e.id);
    run.dead.push(
      JSON.stringify({
        id: eventId,
        jobId: e.id,
        layout: e.layout,
        raw: e.raw,
        acceptedAt: e.acceptedAt,
        attempts: e.attempts,
        reason,
        detail,
        at: deps.now(),
      }),
    );
    deps.logger.error(
      { eventId, jobId: e.id, reason, detail },
      'event dead-lettered: delivery given up',
    );
  }
  count(run, 'dead', events.length);
}

/** The event id inside a stored event's text ('' when it has none). */
export function eventIdOf(raw: string): string {
  try {
    const { id } = JSON.parse(raw) as { id?: unknown };
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}
