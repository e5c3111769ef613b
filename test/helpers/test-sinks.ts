import { AlreadyClosedError, SinkClosedError } from '../../src/errors.js';
import type { Event } from '../../src/events/types.js';
import type { Sink } from '../../src/sinks/sink.js';

/** Records what it is given, like the Go tests' testSink. */
export class RecordingSink implements Sink {
  readonly events: Event[] = [];
  closed = false;

  write(event: Event): Promise<void> {
    if (this.closed) return Promise.reject(new SinkClosedError());
    this.events.push(event);
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.reject(new AlreadyClosedError('testsink'));
    this.closed = true;
    return Promise.resolve();
  }
}

/** Waits `delayMs` before each write, then forwards it (the Go tests' delayedSink). */
export class DelayedSink implements Sink {
  constructor(
    readonly sink: Sink,
    private readonly delayMs: number,
  ) {}

  async write(event: Event): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.sink.write(event);
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/** Fails a write with probability `rate`, else forwards it (the Go tests' flakySink). */
export class FlakySink implements Sink {
  failures = 0;

  constructor(
    readonly sink: Sink,
    public rate: number,
    private readonly random: () => number = Math.random,
  ) {}

  write(event: Event): Promise<void> {
    if (this.random() < this.rate) {
      this.failures++;
      return Promise.reject(new Error(`error writing event ${event.id}`));
    }
    return this.sink.write(event);
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/** A small deterministic PRNG (mulberry32) for reproducible flaky runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Go tests' createTestEvent(action, repo, mediaType). */
export function testEvent(action: string, repository: string, mediaType: string, id = ''): Event {
  return {
    id: id || `ev-${Math.random().toString(36).slice(2)}`,
    timestamp: '2024-01-02T03:04:05.123456789Z',
    action,
    target: { mediaType, digest: 'sha256:abc', size: 3, length: 3, repository },
    request: { id: 'req', method: 'PUT', useragent: 'test' },
    actor: {},
    source: { addr: 'remote.test', instanceID: 'instance' },
  };
}
