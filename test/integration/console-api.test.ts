/**
 * The console's JSON API on a running regnotify (startApp, real Redis, real receivers): the
 * endpoints with their state, pause/resume, dead letters replayed and dropped, bad requests
 * named, the token and the read-only mode, and the same API on metrics.addr.
 */
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { freePort, useRedis } from '../helpers/redis-server.js';
import { events, startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const cleanup = useCleanups();
let prefixes = 0;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; token?: string; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (method === 'POST') headers['content-type'] = options.type ?? 'application/json';
  const res = await request(`${base}/api/v1/${path}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: JSON.stringify(options.body ?? {}) } : {}),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: JSON.parse(text) as Record<string, unknown>,
    headers: res.headers,
  };
}

interface HookView {
  endpoint: { successes: number };
  deadLetters: unknown[];
}

/** Endpoint `good` (answers 200) and `bad` (answers 500; gives up after one retry). */
async function setup(sections: Record<string, unknown> = {}): Promise<{
  app: TestApp;
  base: string;
  good: Receiver;
  bad: Receiver;
}> {
  const good = await startReceiver();
  const bad = await startReceiver({ respond: () => 500 });
  cleanup(
    () => good.close(),
    () => bad.close(),
  );
  const app = await startTestApp({
    redisUrl: redis().url,
    prefix: `api${++prefixes}`,
    endpoints: [
      { name: 'good', url: good.url },
      { name: 'bad', url: bad.url, threshold: 2, backoff: '30s', maxretries: 3 },
    ],
    sections,
  });
  cleanup(() => app.close());
  return { app, base: app.app.httpUrl ?? '', good, bad };
}

describe('console API', () => {
  it('shows each endpoint with its state; pause, resume, replay and drop act on it', async () => {
    const { app, base, bad } = await setup();
    expect(await call(base, 'GET', '')).toMatchObject({
      status: 200,
      body: { readOnly: false, endpoints: ['good', 'bad'] },
    });
    expect((await app.post(events(2, 'api'))).status).toBe(200);
    // `bad` fails twice (the threshold), then the breaker holds it back 30 s.
    await waitUntil(
      async () => {
        const { body } = await call(base, 'GET', 'endpoints');
        const eps = body['endpoints'] as {
          name: string;
          state: string;
          backoffRemainingMs: number;
        }[];
        return eps.find((e) => e.name === 'bad')?.backoffRemainingMs !== 0;
      },
      { message: 'bad in backoff' },
    );
    const { body } = await call(base, 'GET', 'endpoints');
    expect(body['endpoints']).toMatchObject([
      { name: 'good', state: 'ok', pending: 0, successes: 2, paused: false },
      { name: 'bad', state: 'failing', pending: 2, recentFailures: 2, paused: false },
    ]);
    const badView = (body['endpoints'] as { backoffRemainingMs: number }[])[1]!;
    expect(badView.backoffRemainingMs).toBeGreaterThan(20_000);
    expect(badView.backoffRemainingMs).toBeLessThanOrEqual(30_000);

    expect(await call(base, 'POST', 'endpoints/good/pause')).toMatchObject({
      status: 200,
      body: { endpoint: { name: 'good', state: 'paused', paused: true } },
    });
    expect(await call(base, 'POST', 'endpoints/good/resume')).toMatchObject({
      status: 200,
      body: { endpoint: { name: 'good', state: 'ok', paused: false } },
    });
    expect(bad.requests.length).toBe(2);
  });

  it('replays and drops dead letters by id or all; names what is wrong in a request', async () => {
    let healed = false;
    const rx = await startReceiver({ respond: () => (healed ? 200 : 500) });
    cleanup(() => rx.close());
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: `api${++prefixes}`,
      endpoints: [{ name: 'hook', url: rx.url, maxretries: 1 }],
    });
    cleanup(() => app.close());
    const base = app.app.httpUrl ?? '';
    const [a, b, c] = events(3, 'apid');
    expect((await app.post([a!, b!, c!])).status).toBe(200);
    const hook = async () =>
      (await call(base, 'GET', 'endpoints/hook')).body as unknown as HookView;
    await waitUntil(async () => (await hook()).deadLetters.length === 3, {
      message: 'three dead letters',
    });
    const view = await call(base, 'GET', 'endpoints/hook');
    expect(view.body).toMatchObject({
      endpoint: { name: 'hook', dead: 3, pending: 0, events: 3 },
      deadLetters: [
        { id: a!.id, action: 'push', target: 'demo/app:v0', attempts: 2, reason: 'maxretries' },
        { id: b!.id, target: 'demo/app:v1' },
        { id: c!.id, target: 'demo/app:v2' },
      ],
    });

    // Bad requests: each names what is wrong, and changes nothing.
    expect(await call(base, 'GET', 'endpoints/nosuch')).toMatchObject({
      status: 404,
      body: {
        error: {
          code: 'ERR_UNKNOWN_ENDPOINT',
          message: 'unknown endpoint "nosuch": neither configured nor found in Redis (known: hook)',
          known: ['hook'],
        },
      },
    });
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/replay', { body: { ids: [] } }),
    ).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'ERR_BAD_REQUEST',
          message: 'body: expected {"ids": ["<event id>", ...]} or {"all": true}',
        },
      },
    });
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/drop', { body: { ids: ['nosuch'] } }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'ERR_DEAD_LETTER_NOT_FOUND', ids: ['nosuch'] } },
    });
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/drop', {
        body: { all: true },
        type: 'text/plain',
      }),
    ).toMatchObject({
      status: 415,
      body: { error: { code: 'ERR_UNSUPPORTED_MEDIA_TYPE' } },
    });
    expect(await call(base, 'GET', 'endpoints/hook/dead/replay')).toMatchObject({
      status: 405,
      headers: { allow: 'POST' },
    });
    expect(await call(base, 'GET', 'nosuch')).toMatchObject({
      status: 404,
      body: { error: { code: 'ERR_NOT_FOUND' } },
    });
    expect((await call(base, 'GET', 'endpoints/hook')).body).toMatchObject({
      endpoint: { dead: 3 },
    });

    healed = true;
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/replay', { body: { ids: [b!.id] } }),
    ).toMatchObject({
      status: 200,
      body: { replayed: 1, ids: [b!.id] },
    });
    await waitUntil(
      () => eventIdsOf(rx.requests.at(-1)!)[0] === b!.id && rx.requests.at(-1)!.status === 200,
      {
        message: 'b delivered',
      },
    );
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/drop', { body: { ids: [a!.id] } }),
    ).toMatchObject({
      status: 200,
      body: { dropped: 1, ids: [a!.id] },
    });
    expect(
      await call(base, 'POST', 'endpoints/hook/dead/replay', { body: { all: true } }),
    ).toMatchObject({
      status: 200,
      body: { replayed: 1, ids: [c!.id] },
    });
    await waitUntil(async () => (await hook()).endpoint.successes === 2, {
      message: 'c delivered',
    });
    expect((await call(base, 'GET', 'endpoints/hook')).body).toMatchObject({
      endpoint: { dead: 0, pending: 0, events: 3, successes: 2 },
      deadLetters: [],
    });
  });

  it('asks for the token when one is set, refuses writes when read-only, never logs the token', async () => {
    const token = 'console-secret-7f3a';
    const metricsPort = await freePort();
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: `api${++prefixes}`,
      endpoints: [{ name: 'hook', url: 'http://127.0.0.1:9/' }],
      roles: { workers: false },
      sections: {
        console: { token, readOnly: true },
        metrics: { addr: `127.0.0.1:${metricsPort}` },
      },
    });
    cleanup(() => app.close());
    for (const base of [app.app.httpUrl ?? '', `http://127.0.0.1:${metricsPort}`]) {
      expect(await call(base, 'GET', 'endpoints')).toMatchObject({
        status: 401,
        body: { error: { code: 'ERR_UNAUTHORIZED', message: 'credentials required' } },
        headers: { 'www-authenticate': 'Bearer realm="regnotify"' },
      });
      expect(await call(base, 'GET', 'endpoints', { token: 'wrong' })).toMatchObject({
        status: 401,
        body: { error: { message: 'invalid credentials' } },
      });
      expect(await call(base, 'GET', 'endpoints', { token })).toMatchObject({
        status: 200,
        body: { endpoints: [{ name: 'hook', state: 'ok' }] },
      });
      expect(await call(base, 'GET', '', { token })).toMatchObject({ body: { readOnly: true } });
      expect(await call(base, 'POST', 'endpoints/hook/pause', { token })).toMatchObject({
        status: 403,
        body: { error: { code: 'ERR_READ_ONLY' } },
      });
      // The page itself holds no data: it is served to anyone, and asks for the token.
      const page = await request(`${base}/`);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(await page.body.text()).toContain('<script src="/console.js"></script>');
    }
    expect(JSON.stringify(app.lines())).not.toContain(token);
  });
});
