/**
 * Delivery history, trace and the dead-letter cap on a running regnotify (startApp, real Redis,
 * real receivers), and `regnotify trace` as users run it (needs `npm run build`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpointKeys } from '../../src/queue/names.js';
import { readHistory, WorkerName } from '../../src/queue/history.js';
import { events, startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const cleanup = useCleanups();
let prefixes = 0;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-trace-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function api(base: string, path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/api/v1/${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('delivery history', () => {
  it('keeps each attempt: event, action, repository, tag, digest, attempt, result, duration, worker, times', async () => {
    let calls = 0;
    const rx = await startReceiver({ respond: () => (++calls <= 2 ? 503 : 200) });
    cleanup(() => rx.close());
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: `hist${++prefixes}`,
      endpoints: [{ name: 'hook', url: rx.url }],
    });
    cleanup(() => app.close());
    const [e] = events(1, 'hist');
    const before = Date.now();
    expect((await app.post([e!])).status).toBe(200);
    const base = app.app.httpUrl ?? '';
    await waitUntil(
      async () => ((await api(base, 'endpoints/hook/history')).attempts as unknown[]).length === 3,
      {
        message: 'three attempts recorded',
      },
    );
    const { attempts } = (await api(base, 'endpoints/hook/history')) as {
      attempts: Record<string, unknown>[];
    };
    expect(attempts.map((a) => [a['attempt'], a['result'], a['ok']])).toEqual([
      [3, '200', true],
      [2, '503', false],
      [1, '503', false],
    ]);
    expect(attempts[0]).toMatchObject({
      eventId: e!.id,
      action: 'push',
      repository: 'demo/app',
      tag: 'v0',
      digest: e!.target.digest,
      worker: WorkerName,
    });
    const a = attempts[0] as { at: number; acceptedAt: number; durationMs: number };
    expect(a.acceptedAt).toBeGreaterThanOrEqual(before);
    expect(a.at).toBeGreaterThanOrEqual(a.acceptedAt);
    expect(a.durationMs).toBeGreaterThanOrEqual(0);
    // Paged, newest first.
    const older = (await api(
      base,
      `endpoints/hook/history?limit=1&before=${String(attempts[0]!['cursor'])}`,
    )) as {
      attempts: { attempt: number }[];
    };
    expect(older.attempts.map((x) => x.attempt)).toEqual([2]);
  });

  it.each(['parallel', 'repository'] as const)(
    'is kept for %s endpoints too, with the dead-letter cap',
    async (ordering) => {
      const rx = await startReceiver({ respond: () => 500 });
      cleanup(() => rx.close());
      const app = await startTestApp({
        redisUrl: redis().url,
        prefix: `hist${++prefixes}`,
        endpoints: [{ name: 'par', url: rx.url, ordering, concurrency: 2, maxretries: 1 }],
        sections: { console: { deadLettersMax: 1 } },
      });
      cleanup(() => app.close());
      expect((await app.post(events(3, 'par'))).status).toBe(200);
      const base = app.app.httpUrl ?? '';
      await waitUntil(
        async () =>
          ((await api(base, 'endpoints/par')).endpoint as { deadDropped: number }).deadDropped ===
          2,
        { message: 'two of three dead letters dropped' },
      );
      const { attempts } = (await api(base, 'endpoints/par/history')) as {
        attempts: { result: string; attempt: number }[];
      };
      expect(attempts).toHaveLength(6);
      expect(attempts.every((a) => a.result === '500')).toBe(true);
      expect(attempts.map((a) => a.attempt).sort()).toEqual([1, 1, 1, 2, 2, 2]);
      expect((await api(base, 'endpoints/par')).endpoint).toMatchObject({ dead: 1, events: 3 });
    },
  );

  it('is bounded by count and by age', async () => {
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const prefix = `hist${++prefixes}`;
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix,
      endpoints: [{ name: 'hook', url: rx.url }],
      sections: { console: { historyMaxAttempts: 150 } },
    });
    cleanup(() => app.close());
    const client = redis().client();
    cleanup(() => client.quit());
    const key = endpointKeys(prefix, 'hook').history;
    for (let i = 0; i < 6; i++)
      expect((await app.post(events(100, `cnt${i}`, i * 100))).status).toBe(200);
    await waitUntil(() => rx.requests.length === 600, { message: 'all delivered' });
    await waitUntil(async () => (await client.xlen(key)) > 0, { message: 'history written' });
    // Trimmed in whole stream nodes (100 entries): at most one node more than the bound.
    expect(await client.xlen(key)).toBeLessThanOrEqual(250);
    expect(await client.xlen(key)).toBeGreaterThanOrEqual(150);
    const usage = Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    console.log(
      `history: ${await client.xlen(key)} attempts, ${usage} bytes, ${Math.round(usage / (await client.xlen(key)))} B/attempt`,
    );
    await app.close();

    const aged = await startTestApp({
      redisUrl: redis().url,
      prefix,
      endpoints: [{ name: 'hook', url: rx.url }],
      sections: { console: { historyMaxAgeMs: 1 } },
    });
    cleanup(() => aged.close());
    const n = await client.xlen(key);
    expect((await aged.post(events(1, 'late', 1000))).status).toBe(200);
    await waitUntil(async () => (await client.xlen(key)) < n, {
      message: 'old attempts dropped by age',
    });
    const [newest] = await readHistory(client, endpointKeys(prefix, 'hook'), 1);
    expect(newest?.eventId).toBe('late-001000-6b7b7b49-5b62-4c5b-9a0e-3d2f7b1c9e10');
  });
});

describe('dead-letter cap', () => {
  it('keeps the newest console.deadLettersMax, drops the oldest with a log line and a counter', async () => {
    const rx = await startReceiver({ respond: () => 500 });
    cleanup(() => rx.close());
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: `cap${++prefixes}`,
      endpoints: [{ name: 'hook', url: rx.url, maxretries: 1 }],
      sections: { console: { deadLettersMax: 2 } },
    });
    cleanup(() => app.close());
    const evs = events(4, 'cap');
    for (const e of evs) expect((await app.post([e])).status).toBe(200);
    const base = app.app.httpUrl ?? '';
    await waitUntil(
      async () =>
        ((await api(base, 'endpoints/hook')).endpoint as { deadDropped: number }).deadDropped === 2,
      {
        message: 'two dead letters dropped',
      },
    );
    const view = (await api(base, 'endpoints/hook')) as {
      endpoint: unknown;
      deadLetters: { id: string }[];
    };
    expect(view.endpoint).toMatchObject({ dead: 2, deadDropped: 2, events: 4, pending: 0 });
    expect(view.deadLetters.map((d) => d.id)).toEqual([evs[2]!.id, evs[3]!.id]);
    const lines = app
      .lines()
      .filter((l) => l['msg'] === 'dead-letter list full: dropped the oldest dead letters');
    expect(lines.reduce((n, l) => n + Number(l['dropped']), 0)).toBe(2);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /^regnotify_dead_letters_dropped_total\{endpoint="hook"\} 2$/m,
    );
  });
});

describe('trace', () => {
  it('regnotify trace shows, per endpoint, the state, when accepted and each attempt', async () => {
    const ok = await startReceiver();
    const bad = await startReceiver({ respond: () => 500 });
    cleanup(
      () => ok.close(),
      () => bad.close(),
    );
    const prefix = `trace${++prefixes}`;
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix,
      endpoints: [
        { name: 'archive', url: ok.url },
        { name: 'audit', url: bad.url, maxretries: 1 },
        { name: 'deploy', url: ok.url, repositories: { include: ['other/*'] } },
      ],
    });
    cleanup(() => app.close());
    const [e, other] = events(2, 'tr');
    expect((await app.post([e!, other!])).status).toBe(200);
    const base = app.app.httpUrl ?? '';
    await waitUntil(
      async () => ((await api(base, 'endpoints/audit')).endpoint as { dead: number }).dead === 2,
      {
        message: 'dead on audit',
      },
    );
    const file = path.join(dir, `${prefix}.yml`);
    await writeFile(
      file,
      `redis:\n  url: ${redis().url}\n  prefix: ${prefix}\nnotifications:\n  endpoints:\n` +
        ['archive', 'audit', 'deploy']
          .map((n) => `    - name: ${n}\n      url: http://127.0.0.1:9/\n`)
          .join('') +
        "      repositories:\n        include: ['other/*']\n",
    );
    for (const q of [e!.id, 'demo/app:v0', `demo/app@${e!.target.digest}`, e!.target.digest]) {
      const proc = spawnNode(cli, ['trace', q, '--config', file]);
      expect((await proc.exited).code).toBe(0);
      const out = proc.stdout.split('\n');
      expect(out[0]).toBe(`event ${e!.id}  push demo/app:v0`);
      expect(out[1]).toMatch(/^ {2}archive {2}delivered {2}accepted \d{4}-\S+Z$/);
      expect(out[2]).toMatch(/^ {4}\S+Z {2}attempt 1 {2}200 {2}\d+ ms {2}\S+:\d+$/);
      expect(out[3]).toMatch(/^ {2}audit {4}dead {2}accepted \S+ {2}\(maxretries: .*500.*\)$/);
      expect(out[4]).toMatch(/^ {4}\S+Z {2}attempt 1 {2}500 /);
      expect(out[5]).toMatch(/^ {4}\S+Z {2}attempt 2 {2}500 /);
      expect(out[6]).toBe('  deploy   filtered out');
      expect(out.slice(7)).toEqual(['']);
    }
    const all = spawnNode(cli, ['trace', 'demo/app', '--config', file, '--json']);
    expect((await all.exited).code).toBe(0);
    expect((JSON.parse(all.stdout) as { eventId: string }[]).map((t) => t.eventId).sort()).toEqual(
      [e!.id, other!.id].sort(),
    );
    const none = spawnNode(cli, ['trace', 'nosuch/repo', '--config', file]);
    expect([(await none.exited).code, none.stdout]).toEqual([
      0,
      'no event found for "nosuch/repo"\n',
    ]);
    // The same through the API.
    const traced = (await api(base, `trace?q=${encodeURIComponent('demo/app:v1')}`)) as {
      events: { eventId: string }[];
    };
    expect(traced.events.map((t) => t.eventId)).toEqual([other!.id]);
  });
});
