import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './connection.js';
import type { MemoryWatch } from './memory.js';
import type { EndpointKeys } from './names.js';
import { ensureReserve, relieve } from './reserve.js';
import { throttledLog } from './throttle.js';
import type { ThrottledLog } from './throttle.js';

/**
 * Redis answers that mean "not now" rather than "this job is bad": full (OOM), a replica
 * (READONLY), a failed disk write (MISCONF), loading, busy, a cluster in flux.
 */
const REFUSALS =
  /^(OOM|READONLY|MISCONF|LOADING|BUSY|NOREPLICAS|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;
const MAX_PAUSE_MS = 10_000;

/** What the refusal handling needs of a BullMQ Worker. */
export interface Pausable {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void | Promise<void>;
}

export interface RefusalHandlerOptions {
  worker: Pausable;
  connection: RedisClient;
  keys: EndpointKeys;
  endpoint: string;
  logger: Logger;
  memory?: MemoryWatch | undefined;
  /** The endpoint's memory reserve (see reserve.ts); 0 = none. */
  reserveBytes?: number | undefined;
}

/**
 * How a worker lives with a Redis that refuses writes. BullMQ's loop retries at once after an
 * error that is not a connection error: while Redis refuses writes that would be thousands of
 * failed calls (and log lines) a second. Instead the worker pauses — 1 s, doubling up to 10 s
 * while the refusals go on right after each resume — logs one line per 5 s per message, and on
 * "OOM" releases the endpoint's reserve so that delivery can free memory; once Redis has room
 * again, the reserve is made again.
 */
export class RefusalHandler {
  private readonly log: ThrottledLog;
  private pauseMs = 0;
  private pausedUntil = 0;
  private resumedAt = 0;
  private lastRelief = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private reserveTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Pausing makes sense only once the worker runs. */
  running = false;

  constructor(private readonly options: RefusalHandlerOptions) {
    this.log = throttledLog(options.logger);
  }

  /** Keeps the reserve from now on (every 5 s, when there is room for it). */
  start(): void {
    if (!this.options.reserveBytes) return;
    this.reserveTimer = setInterval(() => void this.keepReserve(), 5000);
    this.reserveTimer.unref();
    void this.keepReserve();
  }

  /** True while the worker is held back on purpose. */
  get pausing(): boolean {
    return Date.now() < this.pausedUntil;
  }

  /** Every error of the worker and its queue comes here: logged (throttled), acted upon. */
  onError(thrown: unknown, what: string): void {
    const err = toError(thrown);
    this.log('error', { err }, what);
    if (!REFUSALS.test(err.message) || this.stopped) return;
    if (err.message.startsWith('OOM')) void this.relieveMemory();
    if (!this.running || this.pausing) return;
    const soonAfterResume = Date.now() - this.resumedAt < 2000;
    this.pauseMs = soonAfterResume
      ? Math.min(Math.max(this.pauseMs * 2, 1000), MAX_PAUSE_MS)
      : 1000;
    this.pausedUntil = Date.now() + this.pauseMs;
    void this.options.worker.pause(true);
    clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      if (this.stopped) return;
      this.resumedAt = Date.now();
      void this.options.worker.resume();
    }, this.pauseMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.resumeTimer);
    clearInterval(this.reserveTimer);
  }

  private async relieveMemory(): Promise<void> {
    if (Date.now() - this.lastRelief < 1000) return;
    this.lastRelief = Date.now();
    try {
      const released = await relieve(this.options.connection, this.options.keys);
      if (released === 'nothing') {
        this.log(
          'error',
          {},
          'Redis is full and this endpoint holds nothing to release: delivery waits until memory is freed (raise maxmemory, or free other keys)',
        );
      } else {
        this.options.logger.error(
          { released },
          `Redis is full: released the ${released} so that delivery can take events and free memory`,
        );
      }
    } catch (err) {
      this.log('error', { err: toError(err) }, 'could not release memory');
    }
  }

  /** Re-creates the reserve once Redis has room for it again (below the ingest's limit). */
  private async keepReserve(): Promise<void> {
    const bytes = this.options.reserveBytes ?? 0;
    const room = this.options.memory?.room(this.options.endpoint) ?? 0;
    if (bytes <= 0 || room < 2 * bytes || this.stopped) return;
    try {
      await ensureReserve(this.options.connection, this.options.keys, bytes);
    } catch (err) {
      this.options.logger.debug({ err: toError(err) }, 'could not create the memory reserve');
    }
  }
}
