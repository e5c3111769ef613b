import { SinkClosedError } from '../errors.js';
import type { Event } from '../events/types.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { Sink } from './sink.js';

/** Observes events entering and leaving an EventQueue (metrics hook in here). */
export interface EventQueueListener {
  ingress(event: Event): void;
  egress(event: Event): void;
}

// Compact the backing array once this many slots at its front are spent.
const CompactAfter = 1024;

/**
 * The notifications package's eventQueue (docs/compatibility.md §4.4): an unbounded in-memory FIFO with one
 * consumer loop. `write` never waits for the downstream sink; the consumer writes events one by
 * one, logs a failed write (the event is lost) and calls `egress` either way, so `pending`
 * counts the queued events plus the one in flight.
 */
export class EventQueue implements Sink {
  private items: (Event | undefined)[] = [];
  private head = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly drained: Promise<void>;

  constructor(
    private readonly sink: Sink,
    private readonly listeners: readonly EventQueueListener[] = [],
    private readonly logger: Logger = silentLogger,
  ) {
    this.drained = this.run();
  }

  write(event: Event): Promise<void> {
    if (this.closed) return Promise.reject(new SinkClosedError('sink: closed'));
    for (const listener of this.listeners) listener.ingress(event);
    this.items.push(event);
    this.wake?.();
    return Promise.resolve();
  }

  /**
   * Waits until every queued event has been through the downstream sink, then closes it. As in
   * Go this can take as long as the downstream takes (a retrying sink to a dead endpoint only
   * gives up when closed itself). A second call returns the first (Go's reports
   * `eventqueue: already closed`; docs/compatibility.md §4.6).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.wake?.();
      await this.drained;
      await this.sink.close();
    })();
    return this.closing;
  }

  toString(): string {
    return `eventQueue{${String(this.sink)}}`;
  }

  private async run(): Promise<void> {
    for (;;) {
      const event = await this.next();
      if (event === undefined) return;
      try {
        await this.sink.write(event);
      } catch (err) {
        this.logger.warn(
          { event: event.id, err },
          `eventqueue: error writing events to ${String(this.sink)}, these events will be lost`,
        );
      }
      for (const listener of this.listeners) listener.egress(event);
    }
  }

  /** The next event, or undefined once the queue is closed and empty. */
  private async next(): Promise<Event | undefined> {
    while (this.head === this.items.length) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const event = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= CompactAfter && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return event;
  }
}
