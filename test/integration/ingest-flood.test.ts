/**
 * The ingest under a flood (issue 7, item 4), as users run it: the `regnotify ingest` process
 * (dist/, needs `npm run build`), a real redis-server, real HTTP on 127.0.0.1. Forty 1 MiB
 * envelopes at once: the ingest takes what its bounds allow, refuses the rest with 503 +
 * Retry-After (or 413 for envelopes of more events than it ever takes), stays within its memory
 * bound, keeps answering /healthz and single-event POSTs meanwhile, and stores every event it
 * answered 200 for. And its ops endpoints (item 8): scrapes share one Redis read, and the
 * metrics are behind metrics.token when it is set.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readEndpointStats } from '../../src/queue/stats.js';
import { floodBodies } from '../../bench/flood-bodies.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { freePort, useRedis } from '../helpers/redis-server.js';
import { delay } from '../helpers/wait.js';
import { rawConnect, statusOf } from '../unit/http/raw-http.js';

const V1 = 'application/vnd.docker.distribution.events.v1+json';
const redis = useRedis();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-flood-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

/**
 * The peak RSS allowed. Idle, the process holds ~90 MB; the bounds (8 MiB of bodies, 2,000
 * events, 64 requests in progress) keep its live data to tens of MB, and bench/flood.ts measured
 * peaks of 150–240 MB under longer floods than this one (garbage not yet collected included).
 * Without the bounds this flood took well over 500 MB.
 */
const MaxRssMB = 300;

function vmHwmMB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startIngest(name: string, extra = ''): Promise<{ proc: Child; base: string }> {
  const port = await freePort();
  const config = path.join(dir, `${name}.yml`);
  await writeFile(
    config,
    `redis:\n  url: ${redis().url}\n  prefix: ${name}\ningest:\n  addr: 127.0.0.1:${port}\n${extra}` +
      `logging:\n  level: info\nnotifications:\n  endpoints:\n    - name: flood\n      url: http://127.0.0.1:9/unused\n`,
  );
  const proc = spawnNode(cli, ['ingest', '--config', config]);
  await proc.waitForLine(/ingest listening/, 15_000);
  return { proc, base: `http://127.0.0.1:${port}` };
}

interface Answer {
  status: number | string;
  retryAfter?: string;
  ms: number;
}

async function send(agent: Agent, url: string, body?: Buffer): Promise<Answer> {
  const t0 = performance.now();
  try {
    const res = await request(url, {
      dispatcher: agent,
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body, headers: { 'content-type': V1 } }),
    });
    await res.body.dump();
    const retryAfter = res.headers['retry-after'];
    return {
      status: res.statusCode,
      ms: performance.now() - t0,
      ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
    };
  } catch (err) {
    // A connection the server closed while the client was still sending a refused body.
    return {
      status: String((err as { code?: unknown }).code ?? 'error'),
      ms: performance.now() - t0,
    };
  }
}

describe('ingest under a flood (the real process)', () => {
  it('takes what its bounds allow, refuses the rest, keeps answering, stays under its memory bound, stores every event it acknowledged', async () => {
    const { proc, base } = await startIngest('flood1');
    const sample = floodBodies('sample', 's'); // ~1 MiB, 641 events: within the bounds
    const tiny = floodBodies('tiny', 't'); // ~1 MiB, 10,000 events: past maxEventsPerRequest
    const envelopes = Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? tiny(i) : sample(i)));

    const floodAgent = new Agent({ connections: 40, pipelining: 1 });
    const probeAgent = new Agent({ connections: 2, pipelining: 1 });
    let flooding = true;
    const health: Answer[] = [];
    const posts: Answer[] = [];
    const probe = floodBodies('sample', 'p', 1);
    // One probe after the other, paced (20 ms) so that they do not become a flood themselves.
    const healthProber = (async () => {
      while (flooding) {
        health.push(await send(probeAgent, `${base}/healthz`));
        await delay(20);
      }
    })();
    const postProber = (async () => {
      for (let i = 0; flooding; i++) {
        posts.push(await send(probeAgent, `${base}/events`, probe(i).body));
        await delay(20);
      }
    })();
    const answers = await Promise.all(
      envelopes.map(({ body }) => send(floodAgent, `${base}/events`, body)),
    );
    flooding = false;
    await Promise.all([healthProber, postProber]);
    const rssMB = vmHwmMB(proc.pid);
    await Promise.all([floodAgent.close(), probeAgent.close()]);

    const tally = (xs: Answer[]) =>
      xs.reduce<Record<string, number>>(
        (t, a) => ({ ...t, [a.status]: (t[a.status] ?? 0) + 1 }),
        {},
      );
    const slowest = (xs: Answer[]) => Math.round(Math.max(...xs.map((a) => a.ms)));
    const summary = JSON.stringify({
      flood: tally(answers),
      rssMB: Math.round(rssMB),
      health: { ...tally(health), maxMs: slowest(health) },
      posts: { ...tally(posts), maxMs: slowest(posts) },
    });
    // Some are taken; the others are refused as designed, never silently dropped.
    const taken = answers.filter((a, i) => a.status === 200 && envelopes[i]!.events === 641);
    expect(taken.length, summary).toBeGreaterThan(0);
    answers.forEach((a, i) => {
      const isTiny = envelopes[i]!.events === 10_000;
      if (a.status === 503) expect(a.retryAfter, summary).toBe('1');
      else if (isTiny) expect(a.status, summary).toBe(413);
      else expect(a.status, summary).toBe(200);
    });
    expect(answers.filter((a) => a.status === 503).length, summary).toBeGreaterThan(0);

    // Health and the registry's own traffic kept being answered, promptly.
    expect(health.length, summary).toBeGreaterThan(0);
    expect(posts.length, summary).toBeGreaterThan(0);
    for (const a of health) expect(a.status, summary).toBe(200);
    for (const a of posts) expect(a.status, summary).toBe(200);
    expect(Math.max(...health.map((a) => a.ms)), summary).toBeLessThan(5_000);
    expect(Math.max(...posts.map((a) => a.ms)), summary).toBeLessThan(10_000);

    expect(rssMB, summary).toBeLessThan(MaxRssMB);

    // Every event answered 200 is in Redis, and nothing else.
    const acknowledged = taken.length * 641 + posts.filter((a) => a.status === 200).length;
    const client = redis().client();
    try {
      expect((await readEndpointStats(client, 'flood1', 'flood')).pending, summary).toBe(
        acknowledged,
      );
    } finally {
      await client.quit();
    }
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('serves /metrics and /debug/vars from one Redis read per endpoint, however many scrape at once', async () => {
    const { proc, base } = await startIngest('scrape1');
    const admin = redis().client();
    try {
      const scripts = async () => {
        const info = await admin.info('commandstats');
        let calls = 0;
        for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm))
          calls += Number(m[1]);
        return calls;
      };
      const before = await scripts();
      const scrapes = await Promise.all([
        ...Array.from({ length: 10 }, () => fetch(`${base}/metrics`)),
        ...Array.from({ length: 5 }, () => fetch(`${base}/debug/vars`)),
      ]);
      for (const r of scrapes) {
        expect(r.status).toBe(200);
        await r.text();
      }
      // One endpoint: one stats script for all fifteen scrapes (metrics.cacheMs, default 1 s).
      expect((await scripts()) - before).toBe(1);
    } finally {
      await admin.quit();
    }
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('keeps /metrics and /debug/vars behind metrics.token; /readyz and /healthz answer anyone', async () => {
    const token = 'metrics-tok-4d1f';
    const { proc, base } = await startIngest('scrape2', `metrics:\n  token: ${token}\n`);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    for (const path of ['/metrics', '/debug/vars']) {
      const refused = await fetch(`${base}${path}`);
      expect(refused.status, path).toBe(401);
      expect(refused.headers.get('www-authenticate'), path).toBe('Bearer realm="regnotify"');
      await refused.text();
      const ok = await fetch(`${base}${path}`, auth);
      expect(ok.status, path).toBe(200);
      await ok.text();
    }
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout + proc.stderr).not.toContain(token);
  });

  it('answers a client stuck in its request line with 408 at the default 10 s, not 400 at ~46 s', async () => {
    const { proc, base } = await startIngest('slow1');
    const conn = await rawConnect(Number(new URL(base).port));
    await conn.write('POST /eve');
    const reply = await conn.reply(30_000);
    expect(statusOf(reply.text)).toBe(408);
    expect(reply.firstByteMs).toBeGreaterThanOrEqual(10_000); // ingest.headersTimeoutMs
    expect(reply.firstByteMs).toBeLessThan(20_000);
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  }, 40_000);
});
