import { Cluster } from 'ioredis';
import { LockLostError } from '../errors.js';
import type { Logger } from '../log.js';
import { abortableSleep } from '../sinks/retrying.js';
import type { RedisClient } from './connection.js';
import type { StrictRunner } from './delivery.js';
import { historySpec } from './delivery-steps.js';
import type { DeliveryPolicy } from './delivery-steps.js';
import type { Pausable } from './refusals.js';
import { storedEvents } from './strict-store.js';
import type { Advanced, RunEnd, StrictStore, TakeSpec } from './strict-store.js';

export interface StrictLoopOptions {
  /** The process's shared `worker` connection; the loop adds one of its own to block on. */
  connection: RedisClient;
  store: StrictStore;
  lockDurationMs: number;
  /**
   * How long a worker with nothing to take blocks on BullMQ's marker before looking again —
   * also how soon after a crashed worker's lock expired its job is taken over.
   */
  idleMs: number;
  /** Events read per run, the head included (delivery.ts readWindow). */
  window: number;
  /** BullMQ's `pb` (processed by) of the jobs this worker takes. */
  name: string;
  /** How the finish bounds the endpoint's history and dead letters (delivery-steps.ts). */
  records?: Pick<DeliveryPolicy, 'history' | 'deadLettersMax'>;
  deliver: StrictRunner;
  logger: Logger;
  /** Every Redis error of the loop; refusals.ts decides what it means (and may pause). */
  onError: (err: unknown, what: string) => void;
  /** Aborted once the worker closes: the run in flight finishes, no other starts. */
  stopping: AbortSignal;
}

/** An advance that asked to take, with the token the head (if any) is locked with. */
type Taken = Advanced & { token: string };

/**
 * The wait after a Redis error before taking again: a Redis that refused a take (full, loading,
 * read-only) is not asked again at once — as a BullMQ Worker, which after a failed take waits
 * for the marker it consumed for up to its drainDelay (5 s).
 */
const RETRY_MS = 5000;

/**
 * One strict-order worker of an endpoint: takes the head job (locked, in BullMQ's layout) with
 * the events after it, delivers them, and finishes the run while taking the next one — one
 * round trip per run (strict-scripts.ts). With nothing to take it blocks on BullMQ's `marker`,
 * which the ingest's add script sets. Any number of these, in any processes, share an
 * endpoint: a take finds the head held (`busy`) while another worker's lock lives.
 *
 * What a BullMQ Worker gave, kept: the lock renewed every lockDuration / 2 (a lost lock aborts
 * the POST in flight), a dead worker's job back at the head once its lock expired, the queue's
 * pause, the breaker's rate limit (BullMQ's limiter key) binding every worker.
 */
export class StrictLoop implements Pausable {
  private blocking: RedisClient | undefined;
  private held = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private serial = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly options: StrictLoopOptions) {}

  /** Starts the loop (once); it runs until close(). */
  run(): void {
    this.loop ??= this.work().catch((err: unknown) => this.options.onError(err, 'worker stopped'));
  }

  isRunning(): boolean {
    return this.loop !== undefined && !this.options.stopping.aborted;
  }

  /** Takes nothing new until resume() (the run in flight goes on). For refusals.ts. */
  async pause(): Promise<void> {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.wakeUp?.();
  }

  /** After `stopping` was aborted: waits for the run in flight, then drops the blocking link. */
  async close(): Promise<void> {
    this.wakeUp?.();
    this.blocking?.disconnect();
    await this.loop;
    this.blocking?.disconnect();
  }

  private async work(): Promise<void> {
    const { stopping, logger } = this.options;
    let next: Taken | undefined;
    while (!stopping.aborted) {
      if (next === undefined && this.held) {
        await this.whileHeld();
        continue;
      }
      const taken = next ?? (await this.advance(undefined, true));
      next = undefined;
      if (taken === undefined) continue; // a Redis error, reported and waited out
      if (taken.skipped > 0) {
        logger.warn(
          { skipped: taken.skipped },
          'dropped job ids without a stored event from the queue',
        );
      }
      if (taken.state === 'events') next = await this.deliver(taken);
      else if (taken.state === 'limited') await abortableSleep(taken.pttl, stopping);
      else next = await this.waitAndTake(); // empty, busy (another worker's run), paused
    }
    // Closing with a run taken but not started: its head goes back for another worker.
    if (next?.state === 'events') {
      const head = String(next.reply[0]);
      const end = {
        head,
        token: next.token,
        done: false,
        reset: false,
        counts: {},
        remove: [],
        dead: [],
      };
      await this.advance(end, false);
    }
  }

  /** Delivers a taken run; finishes it, taking the next one unless it should not go on. */
  private async deliver(taken: Taken): Promise<Taken | undefined> {
    const { store, lockDurationMs, logger, stopping } = this.options;
    const head = String(taken.reply[0]);
    const lost = new AbortController();
    const renew = setInterval(() => {
      store.extendLock(head, taken.token, lockDurationMs).then(
        (ok) => {
          if (ok || lost.signal.aborted) return;
          logger.warn(
            { jobId: head },
            'lost the lock of the event being delivered: aborting the POST',
          );
          lost.abort(new LockLostError(head));
        },
        (err: unknown) => this.options.onError(err, 'could not renew the lock'),
      );
    }, lockDurationMs / 2);
    try {
      const { run, events, ok } = await this.options.deliver(
        () => storedEvents(taken.reply),
        lost.signal,
      );
      const end: RunEnd = {
        head,
        token: taken.token,
        done: run.done.has(head),
        reset: run.reset,
        counts: run.counts,
        remove: events
          .slice(1)
          .filter((e) => run.done.has(e.id))
          .map((e) => e.id),
        dead: run.dead,
        ...historySpec(this.options.records ?? {}, run, Date.now()),
      };
      const goOn = ok && !run.backoff && !lost.signal.aborted && !stopping.aborted && !this.held;
      const next = await this.advance(end, goOn);
      if (next && next.deadDropped > 0) {
        logger.warn(
          { dropped: next.deadDropped, max: this.options.records?.deadLettersMax },
          'dead-letter list full: dropped the oldest dead letters',
        );
      }
      if (next && !next.owned) {
        logger.warn({ jobId: head }, 'the head job was no longer ours: it will be sent again');
      } else if (next && !next.removed) {
        logger.warn(
          { events: end.remove.length },
          'read-ahead events moved meanwhile: they will be sent again',
        );
      }
      return goOn ? next : undefined;
    } finally {
      clearInterval(renew);
    }
  }

  private takeSpec(): TakeSpec {
    return {
      token: `${this.id}:${++this.serial}`,
      lockMs: this.options.lockDurationMs,
      now: Date.now(),
      count: this.options.window,
      name: this.options.name,
    };
  }

  /** One advance; a Redis error is reported and waited out (undefined). */
  private async advance(finish: RunEnd | undefined, take: boolean): Promise<Taken | undefined> {
    const spec = take ? this.takeSpec() : undefined;
    try {
      const advanced = await this.options.store.advance({
        ...(finish ? { finish } : {}),
        ...(spec ? { take: spec } : {}),
      });
      return { ...advanced, token: spec?.token ?? '' };
    } catch (err) {
      return this.failed(err);
    }
  }

  /**
   * Waits for BullMQ's marker (set by an add, a resume, a worker that stops with events left),
   * at most idleMs, and takes — in one round trip: the take is queued behind the blocking pop
   * on the loop's own connection, and Redis runs it the moment the pop returns.
   */
  private async waitAndTake(): Promise<Taken | undefined> {
    const { stopping, idleMs, store } = this.options;
    if (stopping.aborted) return undefined;
    this.blocking ??= this.openBlocking();
    const spec = this.takeSpec();
    try {
      const advanced = await store.takeAfterMarker(this.blocking, idleMs / 1000, spec);
      return { ...advanced, token: spec.token };
    } catch (err) {
      // Closing drops the connection under the pop: not an error. Were the take's answer lost
      // with it, its head would be taken over by another worker once its lock expires.
      return stopping.aborted ? undefined : this.failed(err);
    }
  }

  private async failed(err: unknown): Promise<undefined> {
    this.options.onError(err, 'worker error');
    await abortableSleep(RETRY_MS, this.options.stopping);
    return undefined;
  }

  /** While refusals.ts holds the worker back: until resume() or close(). */
  private async whileHeld(): Promise<void> {
    const { stopping, idleMs } = this.options;
    const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
    await Promise.race([woken, abortableSleep(idleMs, stopping)]);
  }

  private openBlocking(): RedisClient {
    const { connection } = this.options;
    // A blocking command holds its connection: this one is the loop's own (as BullMQ's is).
    const blocking: RedisClient =
      connection instanceof Cluster ? connection.duplicate() : connection.duplicate();
    blocking.on('error', (err: unknown) => {
      if (!this.options.stopping.aborted) this.options.onError(err, 'worker error');
    });
    return blocking;
  }
}
