/**
 * regnotify writes and takes jobs with its own Lua (queue/scripts.ts addScript, queue/
 * strict-scripts.ts advance) on BullMQ 6.7's job layout. This file runs BullMQ's own code over
 * those jobs — a real Worker, Queue.getJobCounts, pause/resume, the stalled checker, the rate
 * limiter — so that an upgrade of the pinned BullMQ (package.json) that changes the layout
 * fails here first. A contract test (test/contract/): real redis-server, never skipped.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/events/encode.js';
import { silentLogger } from '../../src/log.js';
import { queueName } from '../../src/queue/names.js';
import { endpointKeys } from '../../src/queue/names.js';
import { StrictStore, storedEvents } from '../../src/queue/strict-store.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import { endpointSpec, makeEvent, pendingEventIds, uniqueName } from '../helpers/delivery.js';
import { prefix, takeSpec, useJobLayout } from '../helpers/job-layout.js';
import { reapChildren, spawnNode } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { deferred, waitUntil } from '../helpers/wait.js';

const { redis, cleanup, client, queue, store: storeEvents } = useJobLayout();
afterEach(() => reapChildren());

const STALL_WORKER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'stall-worker.mjs',
);

/** Stores `n` events for endpoint `name` through the ingest's add script; their event ids. */
const store = (name: string, n: number): Promise<string[]> =>
  storeEvents(
    name,
    Array.from({ length: n }, (_, i) => makeEvent(i, name)),
  );

const take = (token: string, lockMs?: number) => takeSpec(token, 8, lockMs);

function strictWorker(name: string, url: string): EndpointWorker {
  const connection = client();
  const worker = new EndpointWorker({
    connection,
    prefix,
    endpoint: endpointSpec(name, url),
    tuning: { lockDurationMs: 2000, stalledIntervalMs: 500 },
    logger: silentLogger,
  });
  cleanup(() => worker.close());
  return worker;
}

describe('jobs written by the add script', () => {
  it('are consumed in order by a plain BullMQ Worker, data as the event JSON, then removed', async () => {
    const name = uniqueName('plain');
    const ids = await store(name, 3);
    const seen: { id: string; name: string; attempts: number }[] = [];
    const worker = new Worker(
      queueName(name),
      async (job: Job<{ id: string }>) => {
        seen.push({ id: job.data.id, name: job.name, attempts: job.opts.attempts ?? -1 });
      },
      { connection: client(), prefix, removeOnComplete: { count: 0 }, concurrency: 1 },
    );
    cleanup(() => worker.close());
    await waitUntil(() => seen.length === 3, { message: 'three jobs processed' });
    expect(seen).toEqual(ids.map((id) => ({ id, name: 'v1', attempts: 0 })));
    const q = queue(name);
    await waitUntil(async () => (await q.getJobCounts('active')).active === 0, {
      message: 'the last job completed',
    });
    expect(await q.getJobCounts()).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 0,
      failed: 0,
    });
  });
});

describe('the strict take', () => {
  it('is what Queue.getJobCounts calls active; the finish leaves no trace', async () => {
    const name = uniqueName('counts');
    await store(name, 3);
    const q = queue(name);
    expect(await q.getJobCounts('waiting', 'active')).toEqual({ waiting: 3, active: 0 });
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    const taken = await s.advance({ take: take('t1') });
    const [head, ...next] = storedEvents(taken.reply);
    expect(taken.state).toBe('events');
    expect(next).toHaveLength(2);
    expect(await q.getJobCounts('waiting', 'active')).toEqual({ waiting: 2, active: 1 });
    const job = await q.getJob(head!.id);
    expect(job?.processedOn).toBeGreaterThan(0);
    expect(job?.processedBy).toBe('contract');
    expect(job?.attemptsStarted).toBe(1);
    expect(await q.getJobState(head!.id)).toBe('active');
    const end = {
      head: head!.id,
      token: 't1',
      done: true,
      reset: true,
      counts: { successes: 3 },
      remove: next.map((e) => e.id),
      dead: [],
    };
    const finished = await s.advance({ finish: end });
    expect(finished).toMatchObject({ owned: true, removed: true, state: 'none' });
    expect(await q.getJobCounts()).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(await q.getJob(head!.id)).toBeUndefined();
  });

  it('finishes a window wider than one DEL (maxbatch 100 reads 400): every job hash is gone', async () => {
    const name = uniqueName('wide');
    await store(name, 420);
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    const taken = await s.advance({ take: { ...take('t1'), count: 400 } });
    const [head, ...next] = storedEvents(taken.reply);
    expect(next).toHaveLength(399);
    const end = {
      head: head!.id,
      token: 't1',
      done: true,
      reset: true,
      counts: { successes: 400 },
      remove: next.map((e) => e.id),
      dead: [],
    };
    expect(await s.advance({ finish: end })).toMatchObject({ owned: true, removed: true });
    const c = client();
    const base = endpointKeys(prefix, name).base;
    const left = await c.exists(...[head!, ...next].map((e) => `${base}${e.id}`));
    expect(left).toBe(0);
    expect(await queue(name).getJobCounts('waiting', 'active')).toEqual({ waiting: 20, active: 0 });
  });

  it('takes nothing while Queue.pause holds the queue, and the worker delivers after resume', async () => {
    const name = uniqueName('pause');
    const q = queue(name);
    await q.pause();
    const ids = await store(name, 2);
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    expect((await s.advance({ take: take('p1') })).state).toBe('paused');
    const rx = await startReceiver();
    cleanup(() => rx.close());
    await strictWorker(name, rx.url).start();
    await q.resume();
    await rx.waitFor(2, 10_000);
    expect(rx.requests.flatMap(eventIdsOf)).toEqual(ids);
  });

  it('honours the limiter key that queue.rateLimit sets (as the breaker does)', async () => {
    const name = uniqueName('limit');
    await store(name, 1);
    const q = queue(name);
    await q.rateLimit(60_000);
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    const limited = await s.advance({ take: take('r1') });
    expect(limited.state).toBe('limited');
    expect(limited.pttl).toBeGreaterThan(50_000);
    await q.removeRateLimitKey();
    expect((await s.advance({ take: take('r2') })).state).toBe('events');
  });

  it("is put back at the head by BullMQ's stalled checker once its lock expired", async () => {
    const name = uniqueName('stall');
    const ids = await store(name, 3);
    await queue(name).setGlobalConcurrency(1); // as a strict endpoint's (worker.ts start)
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    const taken = await s.advance({ take: take('gone', 300) }); // then "dies": no finish
    expect(storedEvents(taken.reply)[0]?.raw).toBe(encodeEvent(makeEvent(0, name)));
    const order: string[] = [];
    const worker = new Worker(
      queueName(name),
      async (job: Job<{ id: string }>) => void order.push(job.data.id),
      {
        connection: client(),
        prefix,
        removeOnComplete: { count: 0 },
        concurrency: 1,
        stalledInterval: 200,
        maxStalledCount: 10,
      },
    );
    cleanup(() => worker.close());
    await waitUntil(() => order.length === 3, {
      message: 'all three processed',
      timeoutMs: 10_000,
    });
    expect(order).toEqual(ids);
  });

  it('takes over the job of a BullMQ Worker killed while holding it, at the head', async () => {
    const name = uniqueName('killed');
    const ids = await store(name, 3);
    await queue(name).setGlobalConcurrency(1);
    const child = spawnNode(STALL_WORKER, [redis().url, queueName(name), '500', '60000']);
    await child.waitForLine(/^ACTIVE /, 10_000);
    const s = new StrictStore(client(), endpointKeys(prefix, name));
    expect((await s.advance({ take: take('k0') })).state).toBe('busy');
    child.kill('SIGKILL');
    await child.exited;
    let taken = await s.advance({ take: take('k1') });
    await waitUntil(
      async () => (taken = await s.advance({ take: take('k1') })).state === 'events',
      { message: 'the lock expired and the job taken over', timeoutMs: 10_000 },
    );
    const events = storedEvents(taken.reply).map((e) => (JSON.parse(e.raw) as { id: string }).id);
    expect(events).toEqual(ids);
    const job = await queue(name).getJob(storedEvents(taken.reply)[0]!.id);
    expect(job?.stalledCounter).toBe(1);
  });

  it('never overlaps a BullMQ Worker on the same strict queue (a rolling upgrade)', async () => {
    const name = uniqueName('mixed');
    const q = queue(name);
    await q.setGlobalConcurrency(1);
    const ids = await store(name, 30);
    const rx = await startReceiver();
    cleanup(() => rx.close());
    // The older kind: a BullMQ Worker that POSTs each job (as regnotify before 0.2 did).
    const older = new Worker(
      queueName(name),
      async (job: Job<unknown>) => {
        const res = await fetch(rx.url, {
          method: 'POST',
          body: JSON.stringify({ events: [job.data] }),
        });
        await res.body?.cancel();
      },
      { connection: client(), prefix, removeOnComplete: { count: 0 }, concurrency: 1 },
    );
    cleanup(() => older.close());
    await strictWorker(name, rx.url).start();
    await waitUntil(() => new Set(rx.requests.flatMap(eventIdsOf)).size === ids.length, {
      message: 'every event delivered',
      timeoutMs: 20_000,
    });
    expect(rx.maxInFlight).toBe(1);
    const seen = new Set<string>();
    expect(rx.requests.flatMap(eventIdsOf).filter((id) => !seen.has(id) && seen.add(id))).toEqual(
      ids,
    );
    expect(await pendingEventIds(client(), prefix, name)).toEqual([]);
  });
});

describe('a strict run interrupted while holding its head', () => {
  it('puts the head back at the front when it closes mid-POST', async () => {
    const name = uniqueName('close');
    const ids = await store(name, 2);
    const holding = deferred();
    const rx = await startReceiver({
      respond: (_r, i) => {
        if (i === 0) holding.resolve();
        return i === 0 ? { status: 500, delayMs: 300 } : 200;
      },
    });
    cleanup(() => rx.close());
    const worker = strictWorker(name, rx.url);
    await worker.start();
    await holding.promise;
    await worker.close();
    expect(await pendingEventIds(client(), prefix, name)).toEqual(ids);
    expect(await queue(name).getJobCounts('active')).toEqual({ active: 0 });
  });
});
