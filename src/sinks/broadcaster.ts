import { SinkClosedError } from '../errors.js';
import type { Event } from '../events/types.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { Sink } from './sink.js';

/**
 * go-events' Broadcaster: fans each event out to every sink, sequentially and in sink order,
 * one event at a time (docs/compatibility.md §4.3).
 *
 * Go serialises through one goroutine fed by an unbuffered channel; here every operation
 * (write, add, remove, close) is appended to one promise chain, so each sink sees events in
 * the order the broadcaster accepted them, whatever the number of concurrent callers.
 *
 * Unlike Go, `write` resolves once the event has been offered to every sink, not at hand-off:
 * that gives callers back-pressure and changes nothing for the queues the registry puts
 * behind it, which accept at once. A sink's failure is logged and that sink misses the event
 * (Go's behaviour): never put a loss-sensitive sink behind a Broadcaster.
 */
export class Broadcaster implements Sink {
  private sinks: Sink[] = [];
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    sinks: readonly Sink[],
    private readonly logger: Logger = silentLogger,
  ) {
    for (const sink of sinks) if (!this.sinks.includes(sink)) this.sinks.push(sink);
  }

  write(event: Event): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.enqueue(() => this.dispatch(event));
  }

  /** Adds `sink` after the sinks already present; a no-op if it is present. */
  add(sink: Sink): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.enqueue(async () => {
      if (!this.sinks.includes(sink)) this.sinks.push(sink);
    });
  }

  /** Stops sending to `sink` (without closing it). */
  remove(sink: Sink): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.enqueue(async () => {
      this.sinks = this.sinks.filter((s) => s !== sink);
    });
  }

  /**
   * Lets the events already accepted reach the sinks, then closes every sink. Idempotent and
   * never rejects (Go's `Close` always returns nil); failures to close are logged.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.enqueue(() => this.closeAll());
    }
    return this.closing;
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async dispatch(event: Event): Promise<void> {
    for (const sink of [...this.sinks]) {
      try {
        await sink.write(event);
      } catch (err) {
        if (err instanceof SinkClosedError) {
          this.sinks = this.sinks.filter((s) => s !== sink);
        } else {
          this.logger.error(
            { event: event.id, sink: String(sink), err },
            'broadcaster: dropping event',
          );
        }
      }
    }
  }

  private async closeAll(): Promise<void> {
    const sinks = this.sinks;
    this.sinks = [];
    for (const sink of sinks) {
      try {
        await sink.close();
      } catch (err) {
        if (!(err instanceof SinkClosedError)) {
          this.logger.error({ sink: String(sink), err }, 'broadcaster: closing sink failed');
        }
      }
    }
  }
}

function closedError(): SinkClosedError {
  return new SinkClosedError('events: sink closed');
}
