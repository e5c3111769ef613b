/**
 * "200 means delivered" at the store (issue 7, items 5 and 9): an answer is only 200 when the
 * events are where they survive — on enough replicas when asked to — and a registry retrying
 * after a 503 (whether or not that write happened) causes no second delivery.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readEndpointStats } from '../../src/queue/stats.js';
import { makeEvent } from '../fixtures/sample-event.js';
import { startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { uniqueName } from '../helpers/delivery.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { startRedis } from '../helpers/redis-server.js';
import type { RedisServer } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const cleanup = useCleanups();
const stopped = new Set<number>();
afterEach(() => {
  for (const pid of stopped) process.kill(pid, 'SIGCONT');
  stopped.clear();
});

function pause(server: RedisServer): void {
  process.kill(server.pid, 'SIGSTOP');
  stopped.add(server.pid);
}
function resume(server: RedisServer): void {
  process.kill(server.pid, 'SIGCONT');
  stopped.delete(server.pid);
}

/** A Redis of its own, a receiver, and the whole service relaying endpoint `a` to it. */
async function setUp(tag: string, redis: Record<string, unknown> = {}) {
  const own = await startRedis();
  cleanup(() => own.stop());
  const rx = await startReceiver();
  cleanup(() => rx.close());
  const svc = await startTestApp({
    redisUrl: own.url,
    prefix: uniqueName(tag),
    endpoints: [{ name: 'a', url: rx.url }],
    redis,
  });
  cleanup(() => svc.close());
  return { own, rx, svc };
}

describe('the dedupe window', () => {
  it('stores nothing for an identical event re-sent after the first was delivered', async () => {
    const { own, rx, svc } = await setUp('window');
    const event = makeEvent(1, 'again');
    expect((await svc.post([event])).status).toBe(200);
    await rx.waitFor(1, 10_000);
    const admin = own.client();
    cleanup(() => admin.quit());
    await waitUntil(
      async () => (await readEndpointStats(admin, svc.config.redis.prefix, 'a')).pending === 0,
      { message: 'the first copy is delivered and gone from the queue' },
    );
    // A registry that never saw the 200 sends the envelope again.
    expect((await svc.post([event])).status).toBe(200);
    const marker = makeEvent(2, 'marker');
    expect((await svc.post([marker])).status).toBe(200);
    await rx.waitFor(2, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([event.id, marker.id]);
  });
});

describe('a registry retrying after a 503', () => {
  it('gets the event delivered once, whether or not the timed-out write landed', async () => {
    const { own, rx, svc } = await setUp('retry', { commandTimeoutMs: 300 });
    const event = makeEvent(1, 'slow');

    // Redis is slow to answer (stopped): the write times out, the registry is told 503.
    pause(own);
    expect((await svc.post([event])).status).toBe(503);
    resume(own);
    // It retries until it gets its 200 …
    await waitUntil(async () => (await svc.post([event])).status === 200, {
      message: 'the retry is acknowledged once Redis answers again',
    });
    // … and, in order, anything stored before the marker reaches the receiver before it.
    const marker = makeEvent(2, 'marker');
    expect((await svc.post([marker])).status).toBe(200);
    await rx.waitFor(2, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([event.id, marker.id]);
  });
});

describe('redis.waitReplicas', () => {
  it('answers 200 only once a replica has the events, 503 while none confirms', async () => {
    // No diskless-sync delay: the replica is in sync at once rather than after 5 s.
    const primary = await startRedis({ args: ['--repl-diskless-sync-delay', '0'] });
    cleanup(() => primary.stop());
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    cleanup(() => replica.stop());
    const admin = primary.client();
    cleanup(() => admin.quit());
    const replicaAdmin = replica.client();
    cleanup(() => replicaAdmin.quit());
    await waitUntil(
      async () =>
        /slave0:.*state=online/.test(await admin.info('replication')) &&
        /master_link_status:up/.test(await replicaAdmin.info('replication')),
      { message: 'the replica is connected and in sync' },
    );
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const svc = await startTestApp({
      redisUrl: primary.url,
      prefix: uniqueName('wait'),
      endpoints: [{ name: 'a', url: rx.url }],
      redis: { waitReplicas: 1, waitTimeoutMs: 1000 },
    });
    cleanup(() => svc.close());

    const [one, two, marker] = [makeEvent(1, 'w'), makeEvent(2, 'w'), makeEvent(3, 'marker')];
    expect((await svc.post([one])).status).toBe(200);

    pause(replica);
    const started = Date.now();
    const refused = await svc.post([two]);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'ERR_NOT_REPLICATED' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // The primary did take it (a 503 whose write happened): the worker delivers it.
    await rx.waitFor(2, 10_000);

    resume(replica);
    // The registry's retry is acknowledged and stores nothing: the dedupe window remembers
    // the event although it has been delivered already.
    let retry = { status: 0, body: {} as Record<string, unknown> };
    await waitUntil(async () => (retry = await svc.post([two])).status === 200, {
      message: 'the retry is acknowledged once the replica answers again',
    });
    expect(retry.body).toMatchObject({ stored: { a: 0 }, duplicates: { a: 1 } });
    expect((await svc.post([marker])).status).toBe(200);
    await rx.waitFor(3, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual([one.id, two.id, marker.id]);
  });
});
