import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../src/http/ingest.js';
import { startHttpServer } from '../../src/http/server.js';
import { createRedisClient, waitReady } from '../../src/queue/connection.js';
import { endpointKeys } from '../../src/queue/names.js';
import { DurableSink } from '../../src/queue/producer.js';
import type { ProducerEndpoint } from '../../src/queue/producer.js';
import { pendingEventIds, uniqueName } from '../helpers/delivery.js';
import { startRedis, useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface Fixture {
  contentType: string;
  body: string;
  events: { id: string; action: string; target: { mediaType?: string } }[];
}

const fixturesDir = path.resolve(import.meta.dirname, '../fixtures/registry-2.8.2');
const fixtures: Fixture[] = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) => readFileSync(path.join(fixturesDir, f), 'utf8').split('\n').filter(Boolean))
  .map((line) => {
    const rec = JSON.parse(line) as { headers: Record<string, string>; body: string };
    const { events } = JSON.parse(rec.body) as Pick<Fixture, 'events'>;
    return { contentType: rec.headers['content-type'] ?? '', body: rec.body, events };
  });

/** The ingest as production wires it: a producer connection, a DurableSink, a real server. */
async function startIngest(redisUrl: string, prefix: string, endpoints: ProducerEndpoint[]) {
  const client = createRedisClient({ url: redisUrl }, 'producer');
  client.on('error', () => {}); // outages are expected in these tests
  await waitReady(client);
  const sink = new DurableSink({ client, prefix, endpoints });
  const server = await startHttpServer({
    addr: '127.0.0.1:0',
    handlers: [createIngestHandler({ sink, path: '/events', logger: silent })],
    logger: silent,
  });
  cleanups.push(async () => {
    await server.close();
    await sink.close();
    client.disconnect();
  });
  return `${server.url}/events`;
}

async function post(url: string, fixture: Fixture): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': fixture.contentType },
    body: fixture.body,
  });
  await res.body.dump();
  return res.statusCode;
}

describe('ingest into Redis', () => {
  it('stores every POSTed event in each endpoint queue that wants it, once', async () => {
    const prefix = uniqueName('ingest');
    const endpoints: ProducerEndpoint[] = [
      { name: 'all' },
      { name: 'noblobs', ignoredMediaTypes: ['application/octet-stream'] },
      { name: 'nopulls', ignoredActions: ['pull'] },
    ];
    const url = await startIngest(redis().url, prefix, endpoints);
    for (const f of fixtures) expect(await post(url, f)).toBe(200);

    const events = fixtures.flatMap((f) => f.events);
    const expected = {
      all: events.length,
      noblobs: events.filter((e) => e.target.mediaType !== 'application/octet-stream').length,
      nopulls: events.filter((e) => e.action !== 'pull').length,
    };
    expect(expected.noblobs).toBeLessThan(expected.all);
    expect(expected.nopulls).toBeLessThan(expected.all);
    const admin = redis().client();
    cleanups.push(() => admin.quit());
    const lengths = async () =>
      Object.fromEntries(
        await Promise.all(
          endpoints.map(async (e) => [e.name, await admin.llen(endpointKeys(prefix, e.name).wait)]),
        ),
      );
    expect(await lengths()).toEqual(expected);
    // The wait list holds each event once, in the order posted.
    expect(await pendingEventIds(admin, prefix, 'all')).toEqual(events.map((e) => e.id));

    // A registry retrying envelopes it already sent stores nothing new.
    for (const f of fixtures) expect(await post(url, f)).toBe(200);
    expect(await lengths()).toEqual(expected);
  });

  it('answers 503 (bounded) while Redis is down, and 200 again after it is back', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const prefix = uniqueName('outage');
    const url = await startIngest(own.url, prefix, [{ name: 'a' }]);
    const [first, second, third] = fixtures as [Fixture, Fixture, Fixture];
    expect(await post(url, first)).toBe(200);

    await own.kill9();
    const started = Date.now();
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': second.contentType },
      body: second.body,
    });
    const elapsed = Date.now() - started;
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe(
      'ERR_STORE_UNAVAILABLE',
    );
    // Bounded: no offline queue, so at worst the producer's 5 s commandTimeout (a refused
    // connection answers at once); twice that for a loaded machine.
    expect(elapsed).toBeLessThan(10_000);

    await own.restart();
    // The producer connection reconnects by itself (a retry at least every 0.5 s).
    await waitUntil(async () => (await post(url, second)) === 200, {
      timeoutMs: 15_000,
      message: 'ingest answers 200 after Redis restart',
    });
    expect(await post(url, third)).toBe(200);
    const admin = own.client();
    cleanups.push(() => admin.quit());
    // What got a 200 is there (the first one survived the kill -9 through the AOF), once each.
    expect(await pendingEventIds(admin, prefix, 'a')).toEqual(
      [first, second, third].map((f) => f.events[0]!.id),
    );
  });
});
