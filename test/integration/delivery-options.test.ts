/** Per-endpoint options beyond the registry's behaviour, each against real Redis and HTTP. */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { deadLetters, replayDeadLetters } from '../../src/console/dead-letters.js';
import { setPaused } from '../../src/console/ops.js';
import { encodeEnvelope, encodeEvent } from '../../src/events/encode.js';
import { EventsMediaTypeV2 } from '../../src/events/types.js';
import { createRedisClient } from '../../src/queue/connection.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import type { DeliveryEndpoint } from '../../src/queue/worker.js';
import {
  endpointSpec,
  fastTuning,
  makeEvent,
  startProducer,
  uniqueName,
} from '../helpers/delivery.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { Receiver, Responder } from '../helpers/receiver.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

async function setup(
  endpoint: (name: string, url: string) => DeliveryEndpoint,
  respond?: Responder,
) {
  const name = uniqueName('opt');
  const rx: Receiver = await startReceiver(respond ? { respond } : {});
  cleanup(() => rx.close());
  const producer = await startProducer(redis().url, prefix, [{ name }]);
  cleanup(() => producer.close());
  const worker = newWorker(endpoint(name, rx.url));
  return { name, rx, producer, worker, admin: producer.client };
}

/** A worker (not started) on its own connection, closed after the test. */
function newWorker(endpoint: DeliveryEndpoint): EndpointWorker {
  const connection = createRedisClient({ url: redis().url }, 'worker');
  const worker = new EndpointWorker({
    connection,
    prefix,
    endpoint,
    tuning: fastTuning,
    logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
  });
  cleanup(async () => {
    await worker.close();
    await connection.quit();
  });
  return worker;
}

describe('ordering: parallel', () => {
  it('delivers up to `concurrency` events at once, each exactly once', async () => {
    const { rx, producer, worker } = await setup(
      (name, url) => endpointSpec(name, url, { ordering: 'parallel', concurrency: 4 }),
      () => ({ status: 200, delayMs: 40 }),
    );
    const events = Array.from({ length: 24 }, (_, i) => makeEvent(i, 'par'));
    await producer.sink.writeMany(events);
    await worker.start();
    await rx.waitFor(events.length, 15_000);
    expect(rx.maxInFlight).toBeGreaterThan(1);
    expect(rx.maxInFlight).toBeLessThanOrEqual(4);
    expect(rx.requests.flatMap(eventIdsOf).sort()).toEqual(events.map((e) => e.id).sort());
  });
});

describe('bounded retries and dead letters', () => {
  it('maxretries moves the event to the dead-letter list, the queue goes on, replay brings it back', async () => {
    const poison = makeEvent(1, 'dl');
    const fine = makeEvent(2, 'dl');
    let healed = false;
    const { name, rx, producer, worker, admin } = await setup(
      (n, url) => endpointSpec(n, url, { policy: { maxRetries: 2, threshold: 10 } }),
      (req) => (!healed && eventIdsOf(req)[0] === poison.id ? 500 : 200),
    );
    await producer.sink.writeMany([poison, fine]);
    await worker.start();
    await rx.waitFor(4, 10_000); // 3 failed attempts of `poison`, then `fine`
    expect(rx.requests.map((r) => eventIdsOf(r)[0])).toEqual([
      poison.id,
      poison.id,
      poison.id,
      fine.id,
    ]);
    // The run records the dead letter once it ends, just after `fine` was answered.
    await waitUntil(async () => (await readEndpointStats(admin, prefix, name)).pending === 0, {
      message: 'the delivery run finished',
    });
    const [letter] = await deadLetters(admin, prefix, name);
    expect(letter).toMatchObject({ id: poison.id, reason: 'maxretries', attempts: 3 });
    expect(letter!.raw).toBe(encodeEvent(poison));
    expect(await readEndpointStats(admin, prefix, name)).toMatchObject({
      pending: 0,
      dead: 1,
      events: 2,
    });

    healed = true;
    expect(await replayDeadLetters(admin, prefix, name, { all: true })).toMatchObject({
      replayed: 1,
    });
    await rx.waitFor(5, 10_000);
    expect(rx.requests[4]!.body).toBe(encodeEnvelope([poison]));
    expect(await deadLetters(admin, prefix, name)).toEqual([]);
  });

  it('maxage gives up on an event older than the limit', async () => {
    const { name, rx, producer, worker, admin } = await setup(
      (n, url) => endpointSpec(n, url, { policy: { maxAgeMs: 300, threshold: 1, backoffMs: 100 } }),
      () => 503,
    );
    await producer.sink.write(makeEvent(1, 'age'));
    await worker.start();
    await waitUntil(async () => (await readEndpointStats(admin, prefix, name)).dead === 1, {
      timeoutMs: 10_000,
      message: 'the event dead-lettered by age',
    });
    const [letter] = await deadLetters(admin, prefix, name);
    expect(letter?.reason).toBe('maxage');
    expect(rx.requests.length).toBeGreaterThanOrEqual(1);
  });
});

describe('retryafter', () => {
  it('honours Retry-After on 503 as the backoff, before the threshold is reached', async () => {
    const { rx, producer, worker } = await setup(
      (n, url) => endpointSpec(n, url, { policy: { retryAfter: true, threshold: 10 } }),
      (_r, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : 200),
    );
    await producer.sink.write(makeEvent(1, 'ra'));
    await worker.start();
    const [first, second] = await rx.waitFor(2, 10_000);
    // From the first request's arrival, which precedes the worker reading the answer and
    // starting the wait (the receiver's `completedAt` may be recorded after that on a busy
    // event loop). The margin is the whole milliseconds of three clocks, not load.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000 - 10);
  });
});

describe('pause and resume', () => {
  it('holds deliveries in every worker while paused', async () => {
    const { name, rx, producer, worker, admin } = await setup((n, url) => endpointSpec(n, url));
    // The marker: an endpoint nobody pauses, served the same way by this same process.
    const marker = await setup((n, url) => endpointSpec(n, url));
    await Promise.all([worker.start(), marker.worker.start()]);
    // The worker is live: it delivers an event before the pause.
    const [before, held, after] = [1, 2, 3].map((i) => makeEvent(i, 'pause'));
    await producer.sink.write(before!);
    await rx.waitFor(1, 10_000);

    await setPaused(admin, prefix, name, true);
    const late = newWorker(endpointSpec(name, rx.url)); // one more worker, started while paused
    await late.start();
    await producer.sink.write(held!);
    await marker.producer.sink.write(after!);
    expect((await readEndpointStats(admin, prefix, name)).paused).toBe(true);
    // The window is an event, not a guess of time: `after`, written after `held`, reaches an
    // idle worker of the same kind; unpaused, `held` would have gone out in about as long.
    await marker.rx.waitFor(1, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([before!.id]);

    const resumedAt = performance.timeOrigin + performance.now();
    await setPaused(admin, prefix, name, false);
    await rx.waitFor(2, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([before!.id, held!.id]);
    expect(rx.requests[1]!.receivedAt).toBeGreaterThanOrEqual(resumedAt);
    expect((await readEndpointStats(admin, prefix, name)).paused).toBe(false);
  });
});

describe('mediatype', () => {
  it('sends events in the layout the endpoint asks for', async () => {
    const { rx, producer, worker } = await setup((n, url) =>
      endpointSpec(n, url, { policy: { mediaType: EventsMediaTypeV2 } }),
    );
    const ev = makeEvent(1, 'v2');
    await producer.sink.write(ev); // stored in the v1 layout
    await worker.start();
    const [req] = await rx.waitFor(1, 10_000);
    expect(req!.headers['content-type']).toBe(EventsMediaTypeV2);
    expect(req!.body).toBe(encodeEnvelope([ev], EventsMediaTypeV2));
  });
});
