/**
 * Who may read the ops endpoints, and what a scrape costs Redis.
 */
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsHandler } from '../../../src/http/ops.js';
import type { OpsOptions } from '../../../src/http/ops.js';
import { startHttpServer } from '../../../src/http/server.js';
import type { RunningHttpServer } from '../../../src/http/server.js';
import { createExpvar } from '../../../src/metrics/expvar.js';
import { cachedStatsReader, createMetrics } from '../../../src/metrics/prometheus.js';
import type { EndpointStats } from '../../../src/queue/stats.js';
import { deferred } from '../../helpers/wait.js';

const silent = pino({ level: 'silent' });

function stats(name: string): EndpointStats {
  return {
    name,
    pending: 3,
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
  };
}

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const endpoint = {
  name: 'a',
  url: 'http://a.example/hook',
  headers: {},
  timeoutMs: 1000,
  threshold: 10,
  backoffMs: 1000,
  ignoredMediaTypes: [],
  ignore: { mediaTypes: [], actions: [] },
};

/** An ops handler with metrics, expvar and a failing readiness check. */
async function serve(access: OpsOptions['access']) {
  const readStats = async (name: string) => stats(name);
  server = await startHttpServer({
    addr: '127.0.0.1:0',
    logger: silent,
    handlers: [
      createOpsHandler({
        logger: silent,
        metrics: createMetrics({ endpoints: ['a'], readStats }),
        expvar: createExpvar({ endpoints: [endpoint], readStats }),
        checks: [{ name: 'redis', check: () => Promise.reject(new Error('secret-ish detail')) }],
        ...(access === undefined ? {} : { access }),
      }),
    ],
  });
  return server.url;
}

async function get(url: string, authorization?: string) {
  const res = await request(url, {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('ops endpoints: access', () => {
  it('metrics.token set: /metrics and /debug/vars need it (and only it); /healthz stays open', async () => {
    const url = await serve({
      token: 'm-tok',
      ingest: { token: 'i-tok', username: 'alice', password: 'pw' },
    });
    for (const path of ['/metrics', '/debug/vars']) {
      const none = await get(`${url}${path}`);
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate'], path).toBe('Bearer realm="regnotify"');
      expect(JSON.parse(none.text).error.code, path).toBe('ERR_UNAUTHORIZED');
      expect((await get(`${url}${path}`, 'Bearer wrong')).status, path).toBe(401);
      expect((await get(`${url}${path}`, 'Bearer i-tok')).status, path).toBe(401);
      expect((await get(`${url}${path}`, basic('alice', 'pw'))).status, path).toBe(401);
      expect((await get(`${url}${path}`, 'Bearer m-tok')).status, path).toBe(200);
    }
    expect((await get(`${url}/healthz`)).status).toBe(200);
  });

  it('/readyz gives its status to anyone, the failure details only with the token', async () => {
    const url = await serve({ token: 'm-tok' });
    const anonymous = await get(`${url}/readyz`);
    expect(anonymous.status).toBe(503);
    expect(anonymous.text).not.toContain('secret-ish detail');
    expect(JSON.parse(anonymous.text)).toEqual({ status: 'unavailable' });
    const authorized = await get(`${url}/readyz`, 'Bearer m-tok');
    expect(authorized.status).toBe(503);
    expect(JSON.parse(authorized.text)).toEqual({
      status: 'unavailable',
      failed: [{ check: 'redis', error: 'secret-ish detail' }],
    });
  });

  it("no metrics.token but ingest auth: the ingest's credentials (bearer or basic), nothing else", async () => {
    const url = await serve({
      token: '',
      ingest: { token: 'i-tok', username: 'alice', password: 'pw' },
    });
    for (const path of ['/metrics', '/debug/vars']) {
      expect((await get(`${url}${path}`)).status, path).toBe(401);
      expect((await get(`${url}${path}`, 'Bearer nope')).status, path).toBe(401);
      expect((await get(`${url}${path}`, basic('alice', 'px'))).status, path).toBe(401);
      expect((await get(`${url}${path}`, 'Bearer i-tok')).status, path).toBe(200);
      expect((await get(`${url}${path}`, basic('alice', 'pw'))).status, path).toBe(200);
    }
    expect(JSON.parse((await get(`${url}/readyz`)).text)).toEqual({ status: 'unavailable' });
  });

  it('neither configured: open, as before (the default listener is 127.0.0.1)', async () => {
    for (const access of [
      undefined,
      { token: '', ingest: { token: '', username: '', password: '' } },
    ]) {
      const url = await serve(access);
      expect((await get(`${url}/metrics`)).status).toBe(200);
      expect((await get(`${url}/debug/vars`)).status).toBe(200);
      expect(JSON.parse((await get(`${url}/readyz`)).text).failed).toHaveLength(1);
      await server?.close();
      server = undefined;
    }
  });
});

describe('scrapes: cached and single-flight', () => {
  it('concurrent scrapes share one Redis read per endpoint; a read is reused for cacheMs', async () => {
    let clock = 1_000;
    const reads: string[] = [];
    const gate = deferred();
    const read = async (name: string) => {
      reads.push(name);
      await gate.promise;
      return stats(name);
    };
    const readStats = cachedStatsReader(read, { cacheMs: 1000, now: () => clock });
    const metrics = createMetrics({ endpoints: ['a', 'b'], readStats });
    const expvar = createExpvar({ endpoints: [endpoint, { ...endpoint, name: 'b' }], readStats });

    const scrapes = [metrics.metrics(), metrics.metrics(), expvar(), metrics.metrics(), expvar()];
    gate.resolve();
    const [first] = await Promise.all(scrapes);
    expect(first).toContain('registry_notifications_pending_total{endpoint="a"} 3');
    expect(reads.sort()).toEqual(['a', 'b']);

    clock += 999;
    await Promise.all([metrics.metrics(), expvar()]);
    expect(reads).toHaveLength(2);

    clock += 2;
    await Promise.all([metrics.metrics(), expvar(), metrics.metrics()]);
    expect(reads.sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('a failed read is not kept: the next scrape asks Redis again', async () => {
    let fail = true;
    let reads = 0;
    const readStats = cachedStatsReader(
      async (name: string) => {
        reads++;
        if (fail) throw new Error('redis down');
        return stats(name);
      },
      { cacheMs: 60_000 },
    );
    await expect(readStats('a')).rejects.toThrow('redis down');
    fail = false;
    expect((await readStats('a')).pending).toBe(3);
    expect(await readStats('a')).toBeDefined();
    expect(reads).toBe(2);
  });

  it('cacheMs 0 reads every time (still one read for concurrent callers)', async () => {
    let reads = 0;
    const gate = deferred();
    const readStats = cachedStatsReader(
      async (name: string) => {
        reads++;
        await gate.promise;
        return stats(name);
      },
      { cacheMs: 0 },
    );
    const both = Promise.all([readStats('a'), readStats('a')]);
    gate.resolve();
    await both;
    expect(reads).toBe(1);
    await readStats('a');
    expect(reads).toBe(2);
  });
});
