/**
 * A full Redis drains (issue 7, items 3 and 9). With `noeviction`, a full Redis refuses every
 * write that could grow memory — BullMQ taking a job included — so the ingest must stop before
 * Redis is full, and a worker must be able to start and free memory even when it is.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { events, startTestApp } from '../helpers/app.js';
import type { TestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { uniqueName } from '../helpers/delivery.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { startRedis } from '../helpers/redis-server.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { delay, waitUntil } from '../helpers/wait.js';

const cleanup = useCleanups();
const MiB = 1024 * 1024;

async function memory(client: Redis): Promise<{ used: number; max: number }> {
  const info = await client.info('memory');
  const field = (n: string) => Number(new RegExp(`^${n}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { used: field('used_memory'), max: field('maxmemory') };
}

/** A Redis whose maxmemory is `room` above what it uses now. */
async function smallRedis(room: number): Promise<{ server: RedisServer; admin: Redis }> {
  const server = await startRedis();
  cleanup(() => server.stop());
  const admin = server.client();
  cleanup(() => admin.quit());
  const { used } = await memory(admin);
  await admin.config('SET', 'maxmemory', String(used + room));
  return { server, admin };
}

/** Posts envelopes of 20 padded events until the ingest refuses; returns the acked ids. */
async function fillThroughIngest(
  svc: TestApp,
  tag: string,
): Promise<{ acked: string[]; code: unknown }> {
  const acked: string[] = [];
  let transient = 0;
  for (let i = 0; i < 2000;) {
    const batch = events(20, tag, i, 2000);
    const res = await svc.post(batch);
    if (res.status !== 200) {
      expect(res.status).toBe(503);
      const code = (res.body['error'] as { code?: unknown } | undefined)?.code;
      // Only a full Redis ends the filling; a command that timed out on a loaded machine is
      // sent again (as the registry would), a few times at most.
      if (code === 'ERR_STORE_FULL' || ++transient > 5) return { acked, code };
      continue;
    }
    acked.push(...batch.map((e) => e.id));
    i += 20;
  }
  throw new Error('the ingest never refused: is maxmemory set?');
}

/** One role of the service (`ingest` or `workers`) for endpoint `a` → `rx`. */
async function startRole(
  role: 'ingest' | 'workers',
  server: RedisServer,
  prefix: string,
  rx: Receiver,
  redis: Record<string, unknown> = {},
): Promise<TestApp> {
  const svc = await startTestApp({
    redisUrl: server.url,
    prefix,
    endpoints: [{ name: 'a', url: rx.url }],
    roles: role === 'ingest' ? { workers: false } : { ingest: false },
    redis,
  });
  cleanup(() => svc.close());
  return svc;
}

describe('a full Redis', () => {
  it('is never filled by the ingest: it refuses first, keeping room for delivery', async () => {
    const { server, admin } = await smallRedis(3 * MiB);
    const prefix = uniqueName('headroom');
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const ingest = await startRole('ingest', server, prefix, rx, { writeHeadroomPercent: 20 });

    const { acked, code } = await fillThroughIngest(ingest, 'hr');
    expect(code).toBe('ERR_STORE_FULL');
    expect(acked.length).toBeGreaterThan(0);
    const { used, max } = await memory(admin);
    expect(used).toBeLessThan(max); // refused before Redis itself had to

    await startRole('workers', server, prefix, rx);
    await rx.waitFor(acked.length, 30_000);
    expect(new Set(rx.requests.flatMap(eventIdsOf))).toEqual(new Set(acked));
    // Room again: the ingest accepts (its reading of Redis's memory is at most 0.5 s old).
    await waitUntil(async () => (await ingest.post(events(1, 'after'))).status === 200, {
      message: 'the ingest accepts again once delivery freed memory',
    });
  });

  it('drains even when filled to the brim: the worker starts, releases the reserve, delivers', async () => {
    const { server, admin } = await smallRedis(2 * MiB);
    const prefix = uniqueName('brim');
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const ingest = await startRole('ingest', server, prefix, rx, { writeHeadroomPercent: 0 });
    const { acked, code } = await fillThroughIngest(ingest, 'brim');
    expect(code).toBe('ERR_STORE_FULL');
    // Redis itself refuses now.
    await expect(admin.set('probe', 'x'.repeat(100_000))).rejects.toThrow(/OOM/);

    const workers = await startRole('workers', server, prefix, rx);
    const delivered = () => new Set(rx.requests.flatMap(eventIdsOf));
    await rx.waitFor(acked.length, 30_000);
    await waitUntil(() => acked.every((id) => delivered().has(id)), {
      timeoutMs: 20_000,
      intervalMs: 500,
      message: 'every acknowledged event delivered',
    });
    const duplicates = rx.requests.length - delivered().size;
    console.log(`CHAOS ${JSON.stringify({ test: 'brim', acked: acked.length, duplicates })}`);
    const said = workers.lines().map((l) => String(l['msg']));
    expect(said).toContainEqual(expect.stringMatching(/Redis is full: released the reserve/));
  });

  it('filled by someone else: the worker waits quietly, says why, and resumes', async () => {
    const { server, admin } = await smallRedis(2 * MiB);
    const prefix = uniqueName('other');
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const ingest = await startRole('ingest', server, prefix, rx, {
      reserveBytes: 0,
      dedupeMaxIds: 0,
    });
    const pending = events(5, 'other');
    expect((await ingest.post(pending)).status).toBe(200);
    // Another program fills Redis to the brim.
    for (let i = 0; ; i++) {
      try {
        await admin.set(`junk:${i}`, 'x'.repeat(50_000));
      } catch {
        break;
      }
    }
    // …and beyond: filled to the last byte, Redis hovers at maxmemory (an idle client's buffer
    // shrinking lets a small write through now and then); below what it holds, it refuses
    // every write that could grow memory until the junk is freed.
    const { used } = await memory(admin);
    await admin.config('SET', 'maxmemory', String(used - 256 * 1024));

    const workers = await startRole('workers', server, prefix, rx, {
      reserveBytes: 0,
      dedupeMaxIds: 0,
    });
    // An observation window, not synchronisation: three seconds of a worker facing a Redis
    // that refuses every write.
    await delay(3000);
    const errors = workers.lines().filter((l) => l['level'] === 50);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(12); // BullMQ alone: thousands a second
    expect(errors.map((l) => String(l['msg']))).toContainEqual(
      expect.stringMatching(/Redis is full and this endpoint holds nothing to release/),
    );
    expect(rx.requests).toHaveLength(0);

    // The other program frees its memory: delivery resumes by itself.
    const junk = await admin.keys('junk:*');
    for (let i = 0; i < junk.length; i += 100) await admin.del(...junk.slice(i, i + 100));
    await rx.waitFor(pending.length, 30_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual(pending.map((e) => e.id));
  });
});
