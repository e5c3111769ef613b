import type { Event } from '../../../src/events/types.js';
import type { Sink } from '../../../src/sinks/sink.js';

/** A sink that records what it is given; `fail` makes the next writes reject. */
export class RecordingSink implements Sink {
  readonly events: Event[] = [];
  closed = false;
  fail: Error | undefined;

  async write(event: Event): Promise<void> {
    if (this.fail) throw this.fail;
    this.events.push(event);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The only event written; fails the test if there is not exactly one. */
  only(): Event {
    if (this.events.length !== 1) {
      throw new Error(`expected exactly one event, got ${this.events.length}`);
    }
    return this.events[0] as Event;
  }
}
