import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { createRedisClient } from '../../src/queue/connection.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import {
  endpointSpec,
  fastTuning,
  makeEvent,
  pendingEventIds,
  startProducer,
  uniqueName,
} from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startRedis, useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

describe('the durable producer is honest', () => {
  it('rejects, within a bounded time, when Redis cannot store the event', async () => {
    const own = await startRedis({ appendfsync: 'always' });
    cleanup(() => own.stop());
    const producer = await startProducer(own.url, prefix, [{ name: 'a' }]);
    cleanup(() => producer.close());
    await producer.sink.write(makeEvent(1, 'hp'));
    await own.kill9();
    const started = Date.now();
    await expect(producer.sink.write(makeEvent(2, 'hp'))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(5000); // commandTimeout 2 s in the helper; no offline queue
    // After the restart the event that was refused is not there, the acknowledged one is.
    await own.restart();
    const admin = own.client();
    expect(await pendingEventIds(admin, prefix, 'a')).toEqual([makeEvent(1, 'hp').id]);
    await admin.quit();
  });

  it('stores an event written twice while pending once', async () => {
    const name = uniqueName('dup');
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const ev = makeEvent(5, 'dup');
    await producer.sink.write(ev);
    await producer.sink.writeMany([ev, makeEvent(6, 'dup'), ev]);
    const admin = redis().client();
    cleanup(() => admin.quit());
    expect(await pendingEventIds(admin, prefix, name)).toEqual([ev.id, makeEvent(6, 'dup').id]);
  });

  it('stores through a Redis that forgot the script (SCRIPT FLUSH, a restart)', async () => {
    const name = uniqueName('noscript');
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const admin = redis().client();
    cleanup(() => admin.quit());
    await producer.sink.write(makeEvent(1, 'ns'));
    await admin.script('FLUSH');
    const { stored } = await producer.sink.writeMany([makeEvent(2, 'ns')]);
    expect(stored).toEqual({ [name]: 1 });
    const ids = [makeEvent(1, 'ns').id, makeEvent(2, 'ns').id];
    expect(await pendingEventIds(admin, prefix, name)).toEqual(ids);
  });

  it('routes each event to the endpoints whose filters want it', async () => {
    const [all, noBlobs, noPulls, onlyProd] = ['all', 'noblobs', 'nopulls', 'prod'].map(
      uniqueName,
    ) as [string, string, string, string];
    const producer = await startProducer(redis().url, prefix, [
      { name: all },
      { name: noBlobs, ignoredMediaTypes: ['application/octet-stream'] },
      { name: noPulls, ignoredActions: ['pull'] },
      { name: onlyProd, repositories: { include: ['prod/*'] } },
    ]);
    cleanup(() => producer.close());
    const blob = {
      ...makeEvent(1, 'rt'),
      target: {
        ...makeEvent(1, 'rt').target,
        mediaType: 'application/octet-stream',
        repository: 'prod/api',
      },
    };
    const pull = { ...makeEvent(2, 'rt'), action: 'pull' };
    const { stored } = await producer.sink.writeMany([blob, pull]);
    expect(stored).toEqual({ [all]: 2, [noBlobs]: 1, [noPulls]: 1, [onlyProd]: 1 });
  });
});

describe('writes to one endpoint', () => {
  it('share one script call when they come in the same turn of the event loop', async () => {
    const own = await startRedis();
    cleanup(() => own.stop());
    const producer = await startProducer(own.url, prefix, [{ name: 'co' }]);
    cleanup(() => producer.close());
    const admin = own.client();
    cleanup(() => admin.quit());
    await producer.sink.write(makeEvent(0, 'co')); // the script is loaded
    await admin.config('RESETSTAT');
    // Ten requests whose bodies were parsed in one turn (as under load) write together.
    const writes = Array.from({ length: 10 }, (_, i) =>
      producer.sink.write(makeEvent(i + 1, 'co')),
    );
    await Promise.all(writes);
    const stats = await admin.info('commandstats');
    const calls = Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    expect(calls, 'script calls for 10 writes of one turn').toBe(1);
    const ids = Array.from({ length: 11 }, (_, i) => makeEvent(i, 'co').id);
    expect(await pendingEventIds(admin, prefix, 'co')).toEqual(ids);
  });
});

describe('a write while an earlier call gets no answer', () => {
  it('fails within one command timeout of its own, not two', async () => {
    const own = await startRedis();
    cleanup(() => own.stop());
    const producer = await startProducer(own.url, prefix, [{ name: 'hung' }]); // timeout 2 s
    cleanup(() => producer.close());
    const admin = own.client();
    cleanup(() => admin.quit());
    await producer.sink.write(makeEvent(0, 'hung'));
    // Redis answers no write for 6 s: three command timeouts.
    await admin.call('CLIENT', 'PAUSE', '6000', 'WRITE');
    cleanup(async () => void (await admin.call('CLIENT', 'UNPAUSE')));
    const first = producer.sink.write(makeEvent(1, 'hung'));
    await new Promise((resolve) => setImmediate(resolve));
    const startedAt = performance.now();
    const second = producer.sink.write(makeEvent(2, 'hung'));
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(second).rejects.toBeInstanceOf(StoreUnavailableError);
    // Queued behind the first until it timed out, it would fail a second timeout later (≥ 4 s).
    expect(performance.now() - startedAt).toBeLessThan(3500);
  });
});

describe('endpoint metrics are cluster-wide', () => {
  it('every process reads the same numbers, and pending is the real backlog', async () => {
    const name = uniqueName('metrics');
    const rx = await startReceiver({ respond: (_r, i) => (i === 0 ? 404 : 200) });
    cleanup(() => rx.close());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    await producer.sink.writeMany(Array.from({ length: 5 }, (_, i) => makeEvent(i, 'm')));
    const one = redis().client();
    const two = redis().client();
    cleanup(
      () => one.quit(),
      () => two.quit(),
    );
    expect((await readEndpointStats(one, prefix, name)).pending).toBe(5);

    const connection = createRedisClient({ url: redis().url }, 'worker');
    const worker = new EndpointWorker({
      connection,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { readAhead: 2 } }),
      tuning: fastTuning,
      logger: pino({ level: 'silent' }),
    });
    await worker.start();
    await rx.waitFor(6, 10_000);
    await worker.close();
    await connection.quit();

    const [a, b] = await Promise.all([
      readEndpointStats(one, prefix, name),
      readEndpointStats(two, prefix, name),
    ]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({
      pending: 0,
      events: 5,
      successes: 5,
      failures: 1,
      errors: 0,
      dead: 0,
    });
    expect(a.statuses).toEqual({ '200 OK': 5, '404 Not Found': 1 });
  });
});
