import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsHandler, workersCheck } from '../../../src/http/ops.js';
import type { OpsOptions } from '../../../src/http/ops.js';
import { startHttpServer } from '../../../src/http/server.js';
import type { RunningHttpServer } from '../../../src/http/server.js';
import { createExpvar } from '../../../src/metrics/expvar.js';
import { createMetrics } from '../../../src/metrics/prometheus.js';
import type { EndpointStats } from '../../../src/queue/stats.js';

const silent = pino({ level: 'silent' });

function stats(name: string, over: Partial<EndpointStats> = {}): EndpointStats {
  return {
    name,
    pending: 0,
    events: 0,
    successes: 0,
    failures: 0,
    errors: 0,
    statuses: {},
    dead: 0,
    deadDropped: 0,
    oldestPendingAgeMs: 0,
    recentFailures: 0,
    backoffRemainingMs: 0,
    paused: false,
    ...over,
  };
}

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: Omit<OpsOptions, 'logger'>) {
  server = await startHttpServer({
    addr: '127.0.0.1:0',
    handlers: [createOpsHandler({ ...options, logger: silent })],
    logger: silent,
  });
  return server.url;
}

async function get(url: string) {
  const res = await request(url);
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

describe('health', () => {
  it('/healthz is 200 ok; /readyz 200 when checks pass, 503 listing what failed', async () => {
    let running = true;
    const url = await serve({
      checks: [
        workersCheck(() => running),
        { name: 'slow', check: () => new Promise<void>(() => undefined) },
      ],
      checkTimeoutMs: 50,
    });
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, text: 'ok' });
    const down = await get(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toEqual({
      status: 'unavailable',
      failed: [{ check: 'slow', error: 'timed out within 50 ms' }],
    });
    running = false;
    expect(
      JSON.parse((await get(`${url}/readyz`)).text).failed.map((f: { check: string }) => f.check),
    ).toEqual(['workers', 'slow']);
  });

  it('/readyz 200 with passing checks; 405 for POST', async () => {
    const url = await serve({ checks: [workersCheck(() => true)] });
    expect(await get(`${url}/readyz`)).toMatchObject({ status: 200, text: 'ready' });
    const res = await request(`${url}/healthz`, { method: 'POST', body: '' });
    await res.body.dump();
    expect(res.statusCode).toBe(405);
  });
});

describe('prometheus', () => {
  it('exposes the original series with cluster-wide values and regnotify series', async () => {
    const data: Record<string, EndpointStats> = {
      a: stats('a', { pending: 2, events: 7, successes: 5, failures: 3, errors: 1, statuses: { '200 OK': 5, '500 Internal Server Error': 3 }, dead: 1, oldestPendingAgeMs: 1500, recentFailures: 4, backoffRemainingMs: 250 }),
      b: stats('b'),
    }; // prettier-ignore
    let reads = 0;
    const metrics = createMetrics({
      endpoints: ['a', 'b'],
      readStats: async (name) => {
        reads++;
        return data[name]!;
      },
    });
    metrics.observeIngest({ status: 200, events: 3, durationMs: 4 });
    metrics.observeIngest({ status: 503, events: 1, durationMs: 30 });
    const url = await serve({ metrics });
    const res = await get(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const t = res.text;
    // One Redis read per endpoint per scrape, shared by all collectors.
    expect(reads).toBe(2);
    expect(t).toContain('# TYPE registry_notifications_events_total counter');
    expect(t).toContain('registry_notifications_events_total{endpoint="a",type="Events"} 7');
    expect(t).toContain('registry_notifications_events_total{endpoint="a",type="Successes"} 5');
    expect(t).toContain('registry_notifications_events_total{endpoint="a",type="Failures"} 3');
    expect(t).toContain('registry_notifications_events_total{endpoint="a",type="Errors"} 1');
    expect(t).toContain('registry_notifications_events_total{endpoint="b",type="Events"} 0');
    expect(t).toContain('# TYPE registry_notifications_pending_total gauge');
    expect(t).toContain('registry_notifications_pending_total{endpoint="a"} 2');
    expect(t).toContain('registry_notifications_status_total{code="200 OK",endpoint="a"} 5');
    expect(t).toContain(
      'registry_notifications_status_total{code="500 Internal Server Error",endpoint="a"} 3',
    );
    expect(t).toContain('regnotify_oldest_pending_age_seconds{endpoint="a"} 1.5');
    expect(t).toContain('regnotify_backoff_active{endpoint="a"} 1');
    expect(t).toContain('regnotify_backoff_active{endpoint="b"} 0');
    expect(t).toContain('regnotify_backoff_remaining_seconds{endpoint="a"} 0.25');
    expect(t).toContain('regnotify_consecutive_failures{endpoint="a"} 4');
    expect(t).toContain('regnotify_dead_letters{endpoint="a"} 1');
    expect(t).toContain('regnotify_redis_up 1');
    expect(t).toContain('regnotify_ingest_requests_total{code="200"} 1');
    expect(t).toContain('regnotify_ingest_requests_total{code="503"} 1');
    expect(t).toContain('regnotify_ingest_events_total 3');
    expect(t).toContain('regnotify_ingest_request_duration_seconds_bucket{le="0.005"} 1');
    expect(t).toContain('regnotify_ingest_request_duration_seconds_count 2');

    // Values follow the store: a second scrape sees new numbers, not cumulated ones.
    data['a'] = stats('a', { events: 9 });
    const again = (await get(`${url}/metrics`)).text;
    expect(again).toContain('registry_notifications_events_total{endpoint="a",type="Events"} 9');
    expect(again).not.toContain('code="200 OK"');
  });

  it('keeps serving process-local metrics with regnotify_redis_up 0 when Redis fails', async () => {
    const metrics = createMetrics({
      endpoints: ['a'],
      readStats: () => Promise.reject(new Error('down')),
    });
    metrics.observeIngest({ status: 503, events: 1, durationMs: 2 });
    const t = await metrics.metrics();
    expect(t).toContain('regnotify_redis_up 0');
    expect(t).toContain('regnotify_ingest_requests_total{code="503"} 1');
    expect(t).not.toContain('registry_notifications_pending_total{');
  });

  it('bounds a scrape that Redis does not answer', async () => {
    const metrics = createMetrics({
      endpoints: ['a'],
      readStats: () => new Promise(() => undefined),
      statsTimeoutMs: 30,
    });
    expect(await metrics.metrics()).toContain('regnotify_redis_up 0');
  });
});

describe('expvar', () => {
  const endpoint = {
    name: 'hook',
    url: 'http://x/y',
    headers: { Authorization: ['Bearer s3cret'], 'X-A': ['1', '2'] },
    timeoutMs: 1000,
    threshold: 10,
    backoffMs: 2500,
    ignoredMediaTypes: [],
    ignore: { mediaTypes: ['application/octet-stream'], actions: [] },
  };
  const read = async () =>
    stats('hook', { pending: 1, events: 4, successes: 3, statuses: { '200 OK': 3 }, dead: 9 });

  it('lays out /debug/vars like the original, headers redacted by default', async () => {
    const url = await serve({ expvar: createExpvar({ endpoints: [endpoint], readStats: read }) });
    const res = await get(`${url}/debug/vars`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      '{\n"registry": {"notifications": {"endpoints": [{"name":"hook","url":"http://x/y",' +
        '"Headers":{"Authorization":["[REDACTED]"],"X-A":["[REDACTED]","[REDACTED]"]},' +
        '"Timeout":1000000000,"Threshold":10,"Backoff":2500000000,"IgnoredMediaTypes":null,' +
        '"Ignore":{"MediaTypes":["application/octet-stream"],"Actions":null},' +
        '"Metrics":{"Pending":1,"Events":4,"Successes":3,"Failures":0,"Errors":0,"Statuses":{"200 OK":3}}}]}}\n}\n',
    );
  });

  it('shows headers when exposeHeaders is set; null endpoints when none', async () => {
    const shown = await createExpvar({
      endpoints: [endpoint],
      readStats: read,
      exposeHeaders: true,
    })();
    expect(shown).toContain('"Authorization":["Bearer s3cret"]');
    expect(await createExpvar({ endpoints: [], readStats: read })()).toBe(
      '{\n"registry": {"notifications": {"endpoints": null}}\n}\n',
    );
  });

  it('answers 503 when the metrics cannot be read', async () => {
    const url = await serve({
      expvar: createExpvar({
        endpoints: [endpoint],
        readStats: () => Promise.reject(new Error('redis down')),
      }),
    });
    const res = await get(`${url}/debug/vars`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error.message).toBe('redis down');
  });
});
