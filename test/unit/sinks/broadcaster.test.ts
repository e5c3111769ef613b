import { describe, expect, it } from 'vitest';
import { SinkClosedError } from '../../../src/errors.js';
import { Broadcaster } from '../../../src/sinks/broadcaster.js';
import type { Sink } from '../../../src/sinks/sink.js';
import type { Event } from '../../../src/events/types.js';
import { RecordingSink, testEvent } from '../../helpers/test-sinks.js';
import { silentLogger } from '../../../src/log.js';

// go-events' checkClose: close twice without error, then a write is refused with SinkClosedError.
async function checkClose(sink: Sink): Promise<void> {
  await expect(sink.close()).resolves.toBeUndefined();
  await expect(sink.close()).resolves.toBeUndefined();
  await expect(sink.write(testEvent('push', 'r', 'm'))).rejects.toBeInstanceOf(SinkClosedError);
}

describe('Broadcaster (go-events TestBroadcaster)', () => {
  it('delivers every event to every sink in order, honours add/remove, closes sinks', async () => {
    const sinks = Array.from({ length: 10 }, () => new RecordingSink());
    const b = new Broadcaster([]);
    for (const s of sinks) {
      await b.add(s);
      await b.add(s); // second add is a no-op
    }
    const events = Array.from({ length: 1000 }, (_, i) => testEvent('push', 'r', 'm', `e${i}`));
    await Promise.all(events.map((e) => b.write(e)));

    for (const s of sinks) await b.remove(s);
    await b.write(testEvent('push', 'r', 'm', 'lost')); // reaches nobody
    for (const s of sinks) await b.add(s);

    await checkClose(b);
    for (const s of sinks) {
      expect(s.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(s.closed).toBe(true);
    }
  });

  it('removes a sink that reports closed and keeps others on other errors', async () => {
    const closedSink = new RecordingSink();
    await closedSink.close();
    const failing: Sink = {
      write: () => Promise.reject(new Error('boom')),
      close: () => Promise.resolve(),
    };
    const good = new RecordingSink();
    const logged: string[] = [];
    const b = new Broadcaster([closedSink, failing, good], {
      ...silentLogger,
      error: (_o: unknown, msg?: string) => {
        logged.push(msg ?? '');
      },
    });
    await b.write(testEvent('push', 'r', 'm', 'a'));
    await b.write(testEvent('push', 'r', 'm', 'b'));
    expect(good.events.map((e) => e.id)).toEqual(['a', 'b']);
    // The closed sink was removed after the first event, the failing one logged twice.
    expect(logged).toEqual(['broadcaster: dropping event', 'broadcaster: dropping event']);
    await b.close();
    await expect(b.add(good)).rejects.toBeInstanceOf(SinkClosedError);
    await expect(b.remove(good)).rejects.toBeInstanceOf(SinkClosedError);
  });

  it('keeps per-sink order equal to accept order when a sink is slow', async () => {
    const seen: string[] = [];
    let n = 0;
    const slow: Sink = {
      write: async (e: Event) => {
        // alternate between a macrotask and an immediate resolve
        if (n++ % 2 === 0) await new Promise((r) => setImmediate(r));
        seen.push(e.id);
      },
      close: () => Promise.resolve(),
    };
    const b = new Broadcaster([slow]);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => b.write(testEvent('push', 'r', 'm', `e${i}`))),
    );
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `e${i}`));
    await b.close();
  });
});
