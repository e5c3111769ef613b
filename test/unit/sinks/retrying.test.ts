import { describe, expect, it } from 'vitest';
import { SinkClosedError } from '../../../src/errors.js';
import type { Event } from '../../../src/events/types.js';
import {
  Breaker,
  ExponentialBackoff,
  RetryingSink,
  abortableSleep,
} from '../../../src/sinks/retrying.js';
import type { RetryStrategy } from '../../../src/sinks/retrying.js';
import type { Sink } from '../../../src/sinks/sink.js';
import { FlakySink, RecordingSink, seededRandom, testEvent } from '../../helpers/test-sinks.js';
import { silentLogger } from '../../../src/log.js';

async function deliverFlaky(strategy: RetryStrategy): Promise<void> {
  const ts = new RecordingSink();
  const flaky = new FlakySink(ts, 1.0, seededRandom(42));
  const s = new RetryingSink(flaky, strategy);
  const writes: Promise<void>[] = [];
  for (let i = 1; i <= 100; i++) {
    if (i > 50) flaky.rate = 0.9; // as the Go test: always failing at first, then 90 %
    writes.push(s.write(testEvent('push', 'r', 'm', `myevent-${i}`)));
  }
  await Promise.all(writes);
  expect(new Set(ts.events.map((e) => e.id)).size).toBe(100);
  expect(ts.events).toHaveLength(100);
  expect(flaky.failures).toBeGreaterThan(100);
  // go-events checkClose
  await expect(s.close()).resolves.toBeUndefined();
  await expect(s.close()).resolves.toBeUndefined();
  await expect(s.write(testEvent('push', 'r', 'm'))).rejects.toBeInstanceOf(SinkClosedError);
  expect(ts.closed).toBe(true); // unlike Go, close reaches the wrapped sink
}

describe('RetryingSink', () => {
  it('delivers 100 concurrent events through a flaky sink with a Breaker(3, 10ms)', async () => {
    await deliverFlaky(new Breaker(3, 10));
  });

  it('delivers 100 concurrent events with ExponentialBackoff{1ms, 1ms, 5ms}', async () => {
    await deliverFlaky(new ExponentialBackoff({ baseMs: 1, factorMs: 1, maxMs: 5 }));
  });

  it('reproduces the breaker timeline with a fake clock (threshold 3, backoff 100, 20 ms attempts)', async () => {
    let now = 0;
    const clock = { now: () => now };
    const starts: number[] = [];
    let failuresLeft = 7;
    const slowFailing: Sink = {
      write: async () => {
        starts.push(now);
        now += 20;
        if (failuresLeft-- > 0) throw new Error('refused');
      },
      close: () => Promise.resolve(),
    };
    const sleep = async (ms: number): Promise<void> => {
      now += ms;
    };
    const s = new RetryingSink(slowFailing, new Breaker(3, 100, clock), { sleep });
    await s.write(testEvent('push', 'r', 'm', 'a'));
    expect(starts).toEqual([0, 20, 40, 160, 280, 400, 520, 640]);
    // The success reset the breaker: the next event goes at once.
    await s.write(testEvent('push', 'r', 'm', 'b'));
    expect(starts.at(-1)).toBe(660);
  });

  it('drops an event when the strategy says so, and rethrows SinkClosedError at once', async () => {
    const errors: string[] = [];
    const failing: Sink = {
      write: () => Promise.reject(new Error('no')),
      close: () => Promise.resolve(),
    };
    const dropAll: RetryStrategy = {
      proceed: () => 0,
      success: () => undefined,
      failure: () => true,
    };
    const s = new RetryingSink(failing, dropAll, {
      logger: {
        ...silentLogger,
        error: (_o: unknown, m?: string) => {
          errors.push(m ?? '');
        },
      },
    });
    await expect(s.write(testEvent('push', 'r', 'm'))).resolves.toBeUndefined();
    expect(errors).toEqual(['retryingsink: dropped event']);

    const closed = new RecordingSink();
    await closed.close();
    let failures = 0;
    const counting: RetryStrategy = {
      proceed: () => 0,
      success: () => undefined,
      failure: () => (failures++, false),
    };
    const s2 = new RetryingSink(closed, counting);
    await expect(s2.write(testEvent('push', 'r', 'm'))).rejects.toBeInstanceOf(SinkClosedError);
    expect(failures).toBe(0);
  });

  it('close aborts a backoff wait: the pending write rejects SinkClosedError', async () => {
    const failing: Sink = {
      write: () => Promise.reject(new Error('no')),
      close: () => Promise.resolve(),
    };
    // A breaker that asks for an hour's wait after the first failure.
    let waiting!: () => void;
    const entered = new Promise<void>((r) => (waiting = r));
    const s2 = new RetryingSink(failing, new Breaker(1, 3_600_000), {
      sleep: (ms, signal) => {
        waiting();
        return abortableSleep(ms, signal);
      },
    });
    const pending = s2.write(testEvent('push', 'r', 'm'));
    await entered;
    await s2.close();
    await expect(pending).rejects.toBeInstanceOf(SinkClosedError);
  });
});

describe('ExponentialBackoff (go-events TestExponentialBackoff)', () => {
  it('stays under base + factor·2^(n−1), capped at max, and resets on success', () => {
    const ev: Event = testEvent('push', 'r', 'm');
    const b = new ExponentialBackoff();
    expect(b.proceed(ev)).toBe(0);
    for (let i = 1; i <= 10; i++) {
      expect(b.failure(ev, new Error('x'))).toBe(false);
      const limit = Math.min(1000 + 1000 * 2 ** (i - 1), 20_000);
      for (let j = 0; j < 1000; j++) {
        const d = b.proceed(ev);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(limit);
      }
    }
    b.success(ev);
    expect(b.proceed(ev)).toBe(0);
  });

  it('uses the injected random over [0, backoff) and replaces overflow by max', () => {
    const ev = testEvent('push', 'r', 'm');
    const b = new ExponentialBackoff({ baseMs: 10, factorMs: 0, maxMs: 0 }, () => 0.5);
    b.failure(ev, new Error('x'));
    expect(b.proceed(ev)).toBe(505); // factor and max default: (10 + 1000) / 2
    for (let i = 0; i < 2000; i++) b.failure(ev, new Error('x'));
    expect(b.proceed(ev)).toBe(10_000); // 2^2000 overflows → max 20 s
  });
});
