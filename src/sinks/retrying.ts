import { setMaxListeners } from 'node:events';
import { SinkClosedError, toError } from '../errors.js';
import type { Event } from '../events/types.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { Sink } from './sink.js';

/** go-events' RetryStrategy, with durations in milliseconds. */
export interface RetryStrategy {
  /** How long to wait before the next attempt; <= 0 means go ahead now. */
  proceed(event: Event): number;
  success(event: Event): void;
  /** Records a failed attempt; true means give up on (drop) the event. */
  failure(event: Event, err: Error): boolean;
}

export interface Clock {
  now(): number;
}

/**
 * go-events' Breaker (docs/compatibility.md §4.5): the first `threshold` consecutive failures retry at once,
 * then each attempt waits until `backoffMs` after the previous failure; a success resets it.
 * It never drops an event. One Breaker is shared by all events of an endpoint.
 */
export class Breaker implements RetryStrategy {
  private recent = 0;
  private last = 0;

  constructor(
    private readonly threshold: number,
    private readonly backoffMs: number,
    private readonly clock: Clock = Date,
  ) {}

  proceed(_event: Event): number {
    if (this.recent < this.threshold) return 0;
    return this.last + this.backoffMs - this.clock.now();
  }

  success(_event: Event): void {
    this.recent = 0;
    this.last = 0;
  }

  failure(_event: Event, _err: Error): boolean {
    this.recent++;
    this.last = this.clock.now();
    return false;
  }
}

export interface ExponentialBackoffConfig {
  baseMs: number;
  /** Multiplied by 2^(failures−1); <= 0 means the default. */
  factorMs: number;
  /** The cap; <= 0 means the default. */
  maxMs: number;
}

export const DefaultExponentialBackoffConfig: Readonly<ExponentialBackoffConfig> = {
  baseMs: 1000,
  factorMs: 1000,
  maxMs: 20_000,
};

/**
 * go-events' ExponentialBackoff (not used by the registry): after n consecutive failures the
 * wait is uniform in [0, min(base + factor·2^(n−1), max)). Never drops an event.
 */
export class ExponentialBackoff implements RetryStrategy {
  private failures = 0;

  constructor(
    private readonly config: Readonly<ExponentialBackoffConfig> = DefaultExponentialBackoffConfig,
    private readonly random: () => number = Math.random,
  ) {}

  proceed(_event: Event): number {
    if (this.failures <= 0) return 0;
    const factor =
      this.config.factorMs > 0 ? this.config.factorMs : DefaultExponentialBackoffConfig.factorMs;
    const max = this.config.maxMs > 0 ? this.config.maxMs : DefaultExponentialBackoffConfig.maxMs;
    let backoff = this.config.baseMs + factor * 2 ** (this.failures - 1);
    // Go replaces an overflowed (negative) duration by max; Infinity plays that part here.
    if (!(backoff <= max) || backoff < 0) backoff = max;
    return Math.floor(this.random() * backoff);
  }

  success(_event: Event): void {
    this.failures = 0;
  }

  failure(_event: Event, _err: Error): boolean {
    this.failures++;
    return false;
  }
}

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface RetryingSinkOptions {
  /** Waits `ms`, or less if `signal` aborts (it must then resolve, not reject). */
  sleep?: Sleep;
  logger?: Logger;
}

/**
 * go-events' RetryingSink (docs/compatibility.md §4.5): writes each event until the downstream takes it, the
 * strategy gives up on it, or this sink is closed. Unlike Go's, `close` closes the wrapped sink
 * too, so closing the outermost sink of a pipeline releases everything.
 */
export class RetryingSink implements Sink {
  private readonly abort = new AbortController();
  private readonly sleep: Sleep;
  private readonly logger: Logger;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly strategy: RetryStrategy,
    options: RetryingSinkOptions = {},
  ) {
    this.sleep = options.sleep ?? abortableSleep;
    this.logger = options.logger ?? silentLogger;
    // Every concurrent write waiting out a backoff listens on this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  async write(event: Event): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) throw closedError();
      const wait = this.strategy.proceed(event);
      if (wait > 0) {
        await this.sleep(wait, this.abort.signal);
        if (this.abort.signal.aborted) throw closedError();
      }
      try {
        await this.sink.write(event);
        this.strategy.success(event);
        return;
      } catch (thrown) {
        // The downstream is closed: retrying cannot help (Go compares with events.ErrSinkClosed).
        if (thrown instanceof SinkClosedError) throw thrown;
        const err = toError(thrown);
        if (this.strategy.failure(event, err)) {
          this.logger.error({ event: event.id, err }, 'retryingsink: dropped event');
          return;
        }
        this.logger.warn({ event: event.id, err }, 'retryingsink: error writing event, retrying');
      }
    }
  }

  /** Idempotent: stops pending backoff waits (those writes reject), then closes the wrapped sink. */
  close(): Promise<void> {
    if (!this.closing) {
      this.abort.abort();
      this.closing = this.sink.close();
    }
    return this.closing;
  }

  toString(): string {
    return `retryingSink{${String(this.sink)}}`;
  }
}

function closedError(): SinkClosedError {
  return new SinkClosedError('events: sink closed');
}

/** setTimeout that resolves early, and releases its timer, when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
