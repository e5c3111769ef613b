import { afterEach, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { reapChildren } from '../helpers/processes.js';
import { startReceiver, eventIdsOf } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';
import {
  endpointSpec,
  failedCount,
  makeEvent,
  spawnWorkers,
  startProducer,
  stopWorkers,
  uniqueName,
} from '../helpers/delivery.js';

const redis = useRedis();
const prefix = 'regnotify';
let receiver: Receiver | undefined;

afterEach(async () => {
  await reapChildren();
  await receiver?.close();
  receiver = undefined;
});

describe('stored events come out byte for byte', () => {
  it('delivers the encoded bytes, whether Redis holds them verbatim or quoted', async () => {
    const name = uniqueName('bytes');
    const rx = (receiver = await startReceiver());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    const plain = makeEvent(1, 'by');
    // Go escapes <, > and & (JSON.stringify does not), and annotation keys that look like
    // integers change place in a JS object: both must survive storage unchanged.
    const tricky = {
      ...makeEvent(2, 'by'),
      actor: { name: '<a&b>\u2028é' },
      target: { ...makeEvent(2, 'by').target, annotations: { '10': 'x', '9': 'y', b: '&' } },
    };
    await producer.sink.writeMany([plain, tricky]);
    const workers = await spawnWorkers(1, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url),
    });
    const [a, b] = await rx.waitFor(2, 10_000);
    expect(a!.body).toBe(encodeEnvelope([plain]));
    expect(b!.body).toBe(encodeEnvelope([tricky]));
    expect(b!.body).toContain('"name": "\\u003ca\\u0026b\\u003e\\u2028é"');
    await stopWorkers(workers);
    await producer.close();
  });
});

describe('strict order across three worker processes', () => {
  it('delivers in accepted order, one request in flight at a time', async () => {
    const name = uniqueName('order');
    const rx = (receiver = await startReceiver({
      // A little jitter makes any concurrency or reordering show.
      respond: (_req, i) => ({ status: 200, delayMs: i % 7 }),
    }));
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    const events = Array.from({ length: 300 }, (_, i) => makeEvent(i));
    // Written in several calls, some concurrent, while the workers already run.
    const workers = await spawnWorkers(3, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url),
    });
    for (let i = 0; i < events.length; i += 50) {
      await producer.sink.writeMany(events.slice(i, i + 50));
    }
    const got = await rx.waitFor(events.length, 30_000);
    const ids = got.flatMap(eventIdsOf);
    expect(ids).toEqual(events.map((e) => e.id));
    expect(rx.maxInFlight).toBe(1);
    expect(
      got.every(
        (r) => r.headers['content-type'] === 'application/vnd.docker.distribution.events.v1+json',
      ),
    ).toBe(true);
    const admin = redis().client();
    try {
      expect(await failedCount(admin, prefix, name)).toBe(0);
      // The last run's finish (which removes what it delivered) follows its last POST's answer.
      await waitUntil(async () => (await admin.llen(`${prefix}:{ep-${name}}:wait`)) === 0, {
        message: 'every delivered event removed from wait',
      });
    } finally {
      await admin.quit();
    }
    await stopWorkers(workers);
    await producer.close();
  });

  it('with maxbatch, one POST carries up to N consecutive events, in order', async () => {
    const name = uniqueName('batch');
    const rx = (receiver = await startReceiver());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    const events = Array.from({ length: 95 }, (_, i) => makeEvent(i, 'b'));
    await producer.sink.writeMany(events); // a backlog before any worker runs
    const workers = await spawnWorkers(1, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { maxBatch: 10, readAhead: 10 } }),
    });
    await rx.waitFor(10, 20_000);
    const ids = rx.requests.flatMap(eventIdsOf);
    expect(ids).toEqual(events.map((e) => e.id));
    expect(rx.requests).toHaveLength(10); // 9 × 10 + 1 × 5
    expect(rx.requests.every((r) => eventIdsOf(r).length <= 10)).toBe(true);
    await stopWorkers(workers);
    await producer.close();
  });

  it('with maxbatch, a failure retries the whole batch', async () => {
    const name = uniqueName('batchfail');
    const rx = (receiver = await startReceiver({ respond: (_r, i) => (i === 0 ? 500 : 200) }));
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    const events = Array.from({ length: 5 }, (_, i) => makeEvent(i, 'bf'));
    await producer.sink.writeMany(events);
    const workers = await spawnWorkers(1, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { maxBatch: 5, readAhead: 5 } }),
    });
    const [failed, retried] = await rx.waitFor(2, 20_000);
    expect(eventIdsOf(failed!)).toEqual(events.map((e) => e.id));
    expect(retried!.body).toBe(failed!.body);
    await stopWorkers(workers);
    await producer.close();
  });
});
