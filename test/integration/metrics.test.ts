import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../src/http/ingest.js';
import { createOpsHandler, redisCheck } from '../../src/http/ops.js';
import { startHttpServer } from '../../src/http/server.js';
import { createExpvar } from '../../src/metrics/expvar.js';
import { createMetrics } from '../../src/metrics/prometheus.js';
import { createRedisClient, waitReady } from '../../src/queue/connection.js';
import type { RedisClient } from '../../src/queue/connection.js';
import { endpointKeys } from '../../src/queue/names.js';
import { DurableSink } from '../../src/queue/producer.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { makeEvent, uniqueName } from '../helpers/delivery.js';
import { startRedis, useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const endpoints = [
  {
    name: 'a',
    url: 'http://a.example/hook',
    headers: { Authorization: ['Bearer s3cret'] },
    timeoutMs: 1000,
    threshold: 10,
    backoffMs: 1000,
  },
  { name: 'b', url: 'http://b.example/hook', timeoutMs: 500, threshold: 3, backoffMs: 2000 },
];

/** The ops surface of one process: ingest + /metrics + /debug/vars + /readyz on one server. */
async function startService(redisUrl: string, prefix: string) {
  const client = createRedisClient({ url: redisUrl, commandTimeoutMs: 1000 }, 'producer');
  client.on('error', () => {});
  await waitReady(client);
  const sink = new DurableSink({ client, prefix, endpoints });
  const readStats = (name: string) => readEndpointStats(client, prefix, name);
  const metrics = createMetrics({ endpoints: endpoints.map((e) => e.name), readStats });
  const server = await startHttpServer({
    addr: '127.0.0.1:0',
    logger: silent,
    handlers: [
      createIngestHandler({
        sink,
        path: '/events',
        logger: silent,
        observe: (o) => metrics.observeIngest(o),
      }),
      createOpsHandler({
        checks: [redisCheck(client)],
        metrics,
        expvar: createExpvar({ endpoints, readStats }),
        logger: silent,
      }),
    ],
  });
  cleanups.push(async () => {
    await server.close();
    await sink.close();
    client.disconnect();
  });
  return { url: server.url, sink, client, readStats };
}

async function get(url: string) {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

/** `name{labels} value` lines of an exposition, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/** Stands in for delivery workers: the counters they keep in the endpoint's metrics hash. */
async function recordDeliveries(client: RedisClient, prefix: string, name: string) {
  await client.hset(endpointKeys(prefix, name).metrics, {
    successes: 4,
    failures: 2,
    errors: 1,
    delivered: 4,
    's:200 OK': 4,
    's:503 Service Unavailable': 2,
  });
}

describe('metrics surfaces against a real Redis', () => {
  it('/metrics shows the original series (cluster-wide values) and regnotify ones', async () => {
    const prefix = uniqueName('metrics');
    const svc = await startService(redis().url, prefix);
    const ev = [makeEvent(1, 'm'), makeEvent(2, 'm'), makeEvent(3, 'm')];
    const body = JSON.stringify({ events: ev });
    const res = await request(`${svc.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await recordDeliveries(svc.client, prefix, 'a');

    const m = samples((await get(`${svc.url}/metrics`)).text);
    for (const name of ['a', 'b']) {
      const s = await svc.readStats(name);
      expect(m.get(`registry_notifications_pending_total{endpoint="${name}"}`)).toBe(s.pending);
      for (const [type, v] of [
        ['Events', s.events],
        ['Successes', s.successes],
        ['Failures', s.failures],
        ['Errors', s.errors],
      ] as const) {
        expect(
          m.get(`registry_notifications_events_total{endpoint="${name}",type="${type}"}`),
        ).toBe(v);
      }
      for (const [code, v] of Object.entries(s.statuses)) {
        expect(
          m.get(`registry_notifications_status_total{code="${code}",endpoint="${name}"}`),
        ).toBe(v);
      }
      expect(m.get(`regnotify_dead_letters{endpoint="${name}"}`)).toBe(s.dead);
      expect(m.get(`regnotify_consecutive_failures{endpoint="${name}"}`)).toBe(s.recentFailures);
      expect(m.has(`regnotify_oldest_pending_age_seconds{endpoint="${name}"}`)).toBe(true);
      expect(m.has(`regnotify_backoff_active{endpoint="${name}"}`)).toBe(true);
      expect(m.has(`regnotify_backoff_remaining_seconds{endpoint="${name}"}`)).toBe(true);
    }
    expect(m.get('registry_notifications_pending_total{endpoint="a"}')).toBe(3);
    expect(m.get('registry_notifications_events_total{endpoint="a",type="Events"}')).toBe(7);
    expect(m.get('registry_notifications_status_total{code="200 OK",endpoint="a"}')).toBe(4);
    expect(m.get('regnotify_redis_up')).toBe(1);
    expect(m.get('regnotify_ingest_requests_total{code="200"}')).toBe(1);
    expect(m.get('regnotify_ingest_events_total')).toBe(3);
    expect(m.get('regnotify_ingest_request_duration_seconds_count')).toBe(1);
  });

  it('/debug/vars has the original layout with the numbers from Redis', async () => {
    const prefix = uniqueName('expvar');
    const svc = await startService(redis().url, prefix);
    await svc.sink.writeMany([makeEvent(1, 'x')]);
    await recordDeliveries(svc.client, prefix, 'a');
    const res = await get(`${svc.url}/debug/vars`);
    expect(res.status).toBe(200);
    expect(res.text.startsWith('{\n"registry": {"notifications": {"endpoints": [')).toBe(true);
    const vars = JSON.parse(res.text) as {
      registry: { notifications: { endpoints: Record<string, unknown>[] } };
    };
    const [a, b] = vars.registry.notifications.endpoints;
    expect(Object.keys(a!)).toEqual(['name', 'url', 'Headers', 'Timeout', 'Threshold', 'Backoff', 'IgnoredMediaTypes', 'Ignore', 'Metrics']); // prettier-ignore
    expect(a).toMatchObject({
      name: 'a',
      url: 'http://a.example/hook',
      Headers: { Authorization: ['[REDACTED]'] },
      Timeout: 1_000_000_000,
      Metrics: {
        Pending: 1,
        Events: 5,
        Successes: 4,
        Failures: 2,
        Errors: 1,
        Statuses: { '200 OK': 4, '503 Service Unavailable': 2 },
      },
    });
    expect(b).toMatchObject({ name: 'b', Headers: null, Backoff: 2_000_000_000, Threshold: 3 });
    expect(res.text).not.toContain('s3cret');
  });

  it('/readyz is 503 while Redis is down, /metrics still answers with regnotify_redis_up 0', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const svc = await startService(own.url, uniqueName('ready'));
    expect((await get(`${svc.url}/readyz`)).status).toBe(200);
    await own.kill9();
    const ready = await get(`${svc.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'unavailable',
      failed: [{ check: 'redis' }],
    });
    const metrics = await get(`${svc.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(samples(metrics.text).get('regnotify_redis_up')).toBe(0);
    expect((await get(`${svc.url}/debug/vars`)).status).toBe(503);
    expect((await get(`${svc.url}/healthz`)).status).toBe(200);
  });
});
