import { describe, expect, it } from 'vitest';
import { SinkClosedError } from '../../../src/errors.js';
import { EndpointMetricsRecorder } from '../../../src/metrics/endpoint-metrics.js';
import { EventQueue } from '../../../src/sinks/event-queue.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { DelayedSink, RecordingSink, testEvent } from '../../helpers/test-sinks.js';
import { silentLogger } from '../../../src/log.js';

describe('EventQueue (notifications TestEventQueue)', () => {
  it('delivers 1000 concurrent writes through a delayed sink, then closes it', async () => {
    const ts = new RecordingSink();
    const metrics = new EndpointMetricsRecorder();
    const q = new EventQueue(new DelayedSink(ts, 1), [metrics]);
    const events = Array.from({ length: 1000 }, (_, i) =>
      testEvent('push', 'library/test', 'blob', `e${i}`),
    );
    await Promise.all(events.map((e) => q.write(e)));
    // write does not wait for the downstream: nearly everything is still pending here
    expect(metrics.snapshot().pending).toBeGreaterThan(900);

    // checkClose (notifications flavour)
    await expect(q.close()).resolves.toBeUndefined();
    // A second close is the first one (Go reports an error; docs/compatibility.md §4.6): the
    // downstream is closed once (a RecordingSink rejects a second close).
    await expect(q.close()).resolves.toBeUndefined();
    const err = await q.write(events[0]!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkClosedError);
    expect((err as Error).message).toBe('sink: closed');

    expect(ts.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(ts.closed).toBe(true);
    expect(metrics.snapshot()).toMatchObject({ events: 1000, pending: 0 });
  });

  it('logs a failed write, loses that event and still counts its egress', async () => {
    const warnings: string[] = [];
    const ts = new RecordingSink();
    let calls = 0;
    const sometimesFailing: Sink = {
      write: (e) => (calls++ === 0 ? Promise.reject(new Error('down')) : ts.write(e)),
      close: () => ts.close(),
      toString: () => 'fakeSink',
    } as Sink;
    const metrics = new EndpointMetricsRecorder();
    const q = new EventQueue(sometimesFailing, [metrics], {
      ...silentLogger,
      warn: (_o: unknown, msg?: string) => {
        warnings.push(msg ?? '');
      },
    });
    await q.write(testEvent('push', 'r', 'm', 'a'));
    await q.write(testEvent('push', 'r', 'm', 'b'));
    await q.close();
    expect(ts.events.map((e) => e.id)).toEqual(['b']);
    expect(warnings).toEqual([
      'eventqueue: error writing events to fakeSink, these events will be lost',
    ]);
    expect(metrics.snapshot()).toMatchObject({ events: 2, pending: 0 });
  });
});
