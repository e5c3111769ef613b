import { afterEach, describe, expect, it } from 'vitest';
import { readEndpointStats } from '../../src/queue/stats.js';
import {
  endpointSpec,
  failedCount,
  firstSeen,
  makeEvent,
  spawnWorkers,
  startProducer,
  stopWorkers,
  uniqueName,
} from '../helpers/delivery.js';
import { reapChildren } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useRedis } from '../helpers/redis-server.js';
import { deferred, delay, waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

afterEach(() => reapChildren());

describe('restart safety', () => {
  it('kill -9 of the worker during a POST: delivered again, in order, resumed within 10 s', async () => {
    const name = uniqueName('kill9');
    const events = Array.from({ length: 40 }, (_, i) => makeEvent(i, 'k9'));
    const holding = deferred();
    // The 10th request hangs (the worker is killed meanwhile); everything else answers at once.
    const rx = await startReceiver({
      respond: (_req, i) => {
        if (i === 9) holding.resolve();
        return i === 9 ? { status: 200, delayMs: 60_000 } : 200;
      },
    });
    cleanup(() => rx.close());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    await producer.sink.writeMany(events);
    // The default tuning (lockDuration 4 s, stalledInterval 2 s), as shipped.
    const tuning = { lockDurationMs: 4000, stalledIntervalMs: 2000 };
    const endpoint = endpointSpec(name, rx.url, {
      policy: { readAhead: 4 },
      http: { timeoutMs: 30_000 },
    });
    const workers = await spawnWorkers(3, { redisUrl: redis().url, prefix, endpoint, tuning });
    await holding.promise;
    // Kill the process that holds the job: BullMQ records it in the job (`pb`).
    const admin = redis().client();
    cleanup(() => admin.quit());
    const [activeId] = await admin.lrange(`${prefix}:{ep-${name}}:active`, 0, -1);
    const holder = await admin.hget(`${prefix}:{ep-${name}}:${activeId}`, 'pb');
    const victim = workers.find((w) => holder?.endsWith(`:${w.pid}`));
    expect(victim, `holder ${holder}`).toBeDefined();
    const killedAt = Date.now();
    const before = rx.requests.length;
    victim!.kill('SIGKILL');
    await rx.waitFor(before + 1, 15_000);
    const resumedAfterMs = rx.requests[before]!.receivedAt - killedAt;
    expect(resumedAfterMs).toBeLessThan(10_000);
    await waitUntil(() => new Set(rx.requests.flatMap(eventIdsOf)).size === events.length, {
      timeoutMs: 20_000,
      message: 'every event delivered',
    });
    const ids = rx.requests.flatMap(eventIdsOf);
    expect(firstSeen(ids)).toEqual(events.map((e) => e.id));
    // The event in flight at the kill was sent again (at least once, never zero times).
    expect(ids.filter((id) => id === events[9]!.id).length).toBeGreaterThanOrEqual(2);
    expect(await failedCount(admin, prefix, name)).toBe(0);
    await stopWorkers(workers.filter((w) => w !== victim));
    console.log(`kill -9 worker: delivery resumed ${resumedAfterMs} ms after the kill`);
  });

  it('kill -9 of redis-server (AOF everysec): everything acknowledged > 1 s before is delivered, in order', async () => {
    const name = uniqueName('redis9');
    const rx = await startReceiver({ respond: () => ({ status: 200, delayMs: 5 }) });
    cleanup(() => rx.close());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const events = Array.from({ length: 200 }, (_, i) => makeEvent(i, 'r9'));
    await producer.sink.writeMany(events);
    const workers = await spawnWorkers(2, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { readAhead: 8 } }),
    });
    await rx.waitFor(20, 10_000);
    // The condition under test, not synchronisation (as in harness.test.ts): with appendfsync
    // everysec, what was acknowledged more than a second ago is on disk.
    await delay(1_100);
    await redis().kill9();
    await redis().restart();
    // Producers and workers reconnect by themselves: a new write after the restart goes through.
    const late = makeEvent(999, 'r9');
    await waitUntil(
      () =>
        producer.sink.write(late).then(
          () => true,
          () => false,
        ),
      { timeoutMs: 15_000, message: 'the producer writing again after the Redis restart' },
    );
    await waitUntil(() => new Set(rx.requests.flatMap(eventIdsOf)).size === events.length + 1, {
      timeoutMs: 30_000,
      message: 'every event delivered after the Redis restart',
    });
    expect(firstSeen(rx.requests.flatMap(eventIdsOf))).toEqual([...events, late].map((e) => e.id));
    await stopWorkers(workers);
  });

  it('SIGTERM finishes the delivery in flight, then exits cleanly', async () => {
    const name = uniqueName('sigterm');
    const inFlight = deferred();
    const rx = await startReceiver({
      respond: (_req, i) => {
        if (i === 0) inFlight.resolve();
        return i === 0 ? { status: 200, delayMs: 700 } : 200;
      },
    });
    cleanup(() => rx.close());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const [first, second] = [makeEvent(1, 'st'), makeEvent(2, 'st')];
    await producer.sink.writeMany([first!, second!]);
    const [worker] = await spawnWorkers(1, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url),
    });
    await inFlight.promise;
    worker!.kill('SIGTERM');
    const exit = await worker!.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(worker!.stdout).toContain('CLOSED');
    // The POST in flight completed (answered 200) before the exit, and nothing else started.
    expect(rx.requests).toHaveLength(1);
    expect(rx.requests[0]!.status).toBe(200);
    const stats = await readEndpointStats(producer.client, prefix, name);
    expect(stats.pending).toBe(1); // only `second` is left: `first` was completed, not re-queued
    // A new worker delivers the rest, and `first` is not sent again.
    const [next] = await spawnWorkers(1, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url),
    });
    await rx.waitFor(2, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([first!.id, second!.id]);
    await stopWorkers([next!]);
  });
});
