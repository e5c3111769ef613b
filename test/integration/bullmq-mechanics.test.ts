/**
 * The BullMQ 6.7.0 behaviour the durable queue relies on, proved against a real redis-server.
 * Several points are implementation details (Lua scripts) that BullMQ's docs only hint at; if
 * an upgrade changes one, this file says which. Each test uses its own queue.
 *
 * Orientation used throughout: `add` LPUSHes onto the LEFT of `wait`, workers RPOPLPUSH from
 * the RIGHT, so the right end is the head (next to be taken).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DelayedError, Queue, RateLimitError, WaitingError, Worker } from 'bullmq';
import type { Job, KeepJobs, QueueOptions, WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { reapChildren, spawnNode } from '../helpers/processes.js';
import { useRedis } from '../helpers/redis-server.js';
import { deferred, delay, waitUntil } from '../helpers/wait.js';

const PREFIX = 'regnotify';
const STALL_WORKER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures',
  'stall-worker.mjs',
);

const redis = useRedis();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  // Reverse order: workers and queues close before the connections they use.
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});
afterEach(reapChildren);

type Processor = (job: Job<string>, token?: string, signal?: AbortSignal) => Promise<unknown>;

function queueName(): string {
  return `{ep-${randomBytes(4).toString('hex')}}`;
}
function key(name: string, suffix: string): string {
  return `${PREFIX}:${name}:${suffix}`;
}
function connection(): Redis {
  const client = redis().client();
  cleanups.push(async () => client.disconnect());
  return client;
}
function makeQueue(name: string, client: Redis, opts: Partial<QueueOptions> = {}): Queue<string> {
  const queue = new Queue<string>(name, { connection: client, prefix: PREFIX, ...opts });
  cleanups.push(() => queue.close());
  return queue;
}
interface TestWorker {
  worker: Worker<string>;
  errors: Error[];
}
function makeWorker(
  name: string,
  processor: Processor,
  opts: Partial<WorkerOptions> = {},
): TestWorker {
  const worker = new Worker<string>(name, processor, {
    connection: connection(),
    prefix: PREFIX,
    ...opts,
  });
  const errors: Error[] = [];
  worker.on('error', (err) => errors.push(err)); // an unhandled 'error' event would crash the run
  cleanups.push(() => worker.close(true));
  return { worker, errors };
}
async function addAll(queue: Queue<string>, ids: string[]): Promise<void> {
  for (const id of ids) await queue.add('event', `{"id":"${id}"}`, { jobId: id });
}
async function keysOf(client: Redis, name: string): Promise<string[]> {
  const keys = await client.keys(`${PREFIX}:${name}:*`);
  return keys.map((k) => k.slice(`${PREFIX}:${name}:`.length)).sort();
}

describe('a. key layout', () => {
  it('puts every key of a hash-tagged queue under regnotify:{ep-…}: (one cluster slot)', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await queue.setGlobalConcurrency(1);
    await addAll(queue, ['j1']);
    expect(await keysOf(client, name)).toEqual(['events', 'id', 'j1', 'marker', 'meta', 'wait']);

    const holding = deferred();
    const release = deferred();
    let whileActive: string[] = [];
    makeWorker(name, async () => {
      whileActive = await keysOf(client, name);
      holding.resolve();
      await release.promise;
    });
    await holding.promise;
    // ('marker' comes and goes as workers consume it.)
    expect(whileActive).toEqual(
      expect.arrayContaining(['active', 'events', 'id', 'j1', 'j1:lock', 'meta']),
    );
    expect(whileActive).not.toContain('wait'); // an empty list is no key
    release.resolve();
    await waitUntil(async () => (await queue.getCompletedCount()) === 1);
    await queue.add('event', 'later', { jobId: 'j2', delay: 60_000 });
    await queue.rateLimit(60_000);
    const all = await keysOf(client, name);
    expect(all).toEqual(
      expect.arrayContaining(['completed', 'delayed', 'limiter', 'j1', 'j2', 'meta', 'id']),
    );
    // The slot is hashed from the first {…} only, and the prefix has no braces.
    for (const k of await client.keys(`${PREFIX}:*`)) expect(k.match(/\{[^}]*\}/)?.[0]).toBe(name);
  });
});

describe('b. wait list orientation and retries', () => {
  it('add pushes at the tail; moveToWait + WaitingError returns the job to the head', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await addAll(queue, ['j1', 'j2', 'j3']);
    expect(await client.lrange(key(name, 'wait'), 0, -1)).toEqual(['j3', 'j2', 'j1']);

    const seen: string[] = [];
    let waitAfterMove: string[] = [];
    makeWorker(name, async (job, token) => {
      seen.push(job.id ?? '?');
      if (job.id === 'j1' && seen.length === 1) {
        await job.moveToWait(token);
        waitAfterMove = await client.lrange(key(name, 'wait'), 0, -1);
        throw new WaitingError();
      }
    });
    await waitUntil(async () => (await queue.getCompletedCount()) === 3, {
      message: '3 completed',
    });
    expect(waitAfterMove).toEqual(['j3', 'j2', 'j1']); // back at the right end: the head
    expect(seen).toEqual(['j1', 'j1', 'j2', 'j3']);
  });

  it('attempts (immediate retry) and moveToDelayed send the job to the tail: order breaks', async () => {
    for (const mode of ['attempts', 'moveToDelayed'] as const) {
      const name = queueName();
      const queue = makeQueue(name, connection());
      for (const id of ['j1', 'j2', 'j3']) await queue.add('event', id, { jobId: id, attempts: 2 });
      const seen: string[] = [];
      makeWorker(name, async (job, token) => {
        seen.push(job.id ?? '?');
        if (job.id !== 'j1' || seen.length > 1) return;
        if (mode === 'attempts') throw new Error('first attempt fails');
        await job.moveToDelayed(Date.now() + 1, token);
        throw new DelayedError();
      });
      await waitUntil(async () => (await queue.getCompletedCount()) === 3, {
        message: `${mode}: 3 completed`,
      });
      expect({ mode, seen }).toEqual({ mode, seen: ['j1', 'j2', 'j3', 'j1'] });
    }
  });
});

describe('c. global concurrency', () => {
  // Each processor holds its job until it sees another one running (or 300 ms pass), so any
  // overlap the queue allows is observed rather than left to chance.
  async function runThreeWorkers(
    globalConcurrency: boolean,
  ): Promise<{ max: number; order: string[] }> {
    const name = queueName();
    const queue = makeQueue(name, connection());
    if (globalConcurrency) await queue.setGlobalConcurrency(1);
    const ids = ['j1', 'j2', 'j3', 'j4', 'j5', 'j6'];
    await addAll(queue, ids);
    let active = 0;
    let max = 0;
    const order: string[] = [];
    const processor: Processor = async (job) => {
      order.push(job.id ?? '?');
      max = Math.max(max, ++active);
      const until = Date.now() + 300;
      while (active < 2 && Date.now() < until) await delay(5);
      active--;
    };
    for (let i = 0; i < 3; i++) makeWorker(name, processor, { concurrency: 1 });
    await waitUntil(async () => (await queue.getCompletedCount()) === ids.length, {
      message: 'all completed',
    });
    return { max, order };
  }

  it('setGlobalConcurrency(1): three workers on three connections never overlap, order kept', async () => {
    const { max, order } = await runThreeWorkers(true);
    expect(max).toBe(1);
    expect(order).toEqual(['j1', 'j2', 'j3', 'j4', 'j5', 'j6']);
  });

  it('control: without it the same three workers do overlap', async () => {
    const { max } = await runThreeWorkers(false);
    expect(max).toBeGreaterThan(1);
  });
});

describe('d. cluster-wide backoff: queue.rateLimit + RateLimitError', () => {
  interface Pick {
    id: string;
    by: 'w1' | 'w2';
    at: number;
  }
  /**
   * w1 takes j1, sets the queue's rate limit, throws RateLimitError; w2 is started only then.
   * Returns every pick after the limit was set, and the wait list while the limit held.
   */
  async function scenario(opts: {
    limitMs: number;
    w2: Partial<WorkerOptions>;
    globalLimit?: boolean;
  }) {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await queue.setGlobalConcurrency(1);
    if (opts.globalLimit === true)
      await queue.setGlobalRateLimit(Number.MAX_SAFE_INTEGER, opts.limitMs);
    await addAll(queue, ['j1', 'j2', 'j3']);
    const limited = deferred<number>();
    const picks: Pick[] = [];
    let limitedOnce = false;
    const processor =
      (by: Pick['by']): Processor =>
      async (job) => {
        if (job.id === 'j1' && !limitedOnce) {
          limitedOnce = true;
          const t0 = Date.now(); // before the SET: the limit ends at or after t0 + limitMs
          await queue.rateLimit(opts.limitMs);
          limited.resolve(t0);
          throw new RateLimitError();
        }
        picks.push({ id: job.id ?? '?', by, at: Date.now() });
      };
    makeWorker(name, processor('w1'));
    const t0 = await limited.promise;
    const w2 = makeWorker(name, processor('w2'), { ...opts.w2, autorun: false });
    void w2.worker.run();
    return { name, client, queue, t0, picks };
  }

  it('returns the job to the head; a second worker with a limiter waits the limit out', async () => {
    const limitMs = 1_500;
    const { name, client, queue, t0, picks } = await scenario({
      limitMs,
      w2: { limiter: { max: Number.MAX_SAFE_INTEGER, duration: limitMs } },
    });
    await waitUntil(async () => (await client.lindex(key(name, 'wait'), -1)) === 'j1', {
      message: 'j1 back',
    });
    expect(await client.lrange(key(name, 'wait'), 0, -1)).toEqual(['j3', 'j2', 'j1']);
    await waitUntil(async () => (await queue.getCompletedCount()) === 3, {
      message: '3 completed',
    });
    expect(picks.map((p) => p.id)).toEqual(['j1', 'j2', 'j3']);
    for (const pick of picks) expect(pick.at).toBeGreaterThanOrEqual(t0 + limitMs - 2);
  });

  it('control: a second worker without a limiter ignores the limit', async () => {
    const limitMs = 5_000;
    const { t0, picks } = await scenario({ limitMs, w2: {} });
    await waitUntil(() => picks.length >= 1, { message: 'w2 picks j1' });
    expect(picks[0]).toMatchObject({ id: 'j1', by: 'w2' });
    expect(picks[0]!.at).toBeLessThan(t0 + limitMs);
  });

  it('alternative: queue.setGlobalRateLimit(huge, d) makes workers without a limiter honour it', async () => {
    const limitMs = 1_500;
    const { queue, t0, picks } = await scenario({ limitMs, w2: {}, globalLimit: true });
    await waitUntil(async () => (await queue.getCompletedCount()) === 3, {
      message: '3 completed',
    });
    expect(picks.map((p) => p.id)).toEqual(['j1', 'j2', 'j3']);
    for (const pick of picks) expect(pick.at).toBeGreaterThanOrEqual(t0 + limitMs - 2);
  });
});

describe('e. stalled recovery after kill -9 of the worker holding the job', () => {
  const lockDuration = 1_000;
  const stalledInterval = 500;

  async function crashHoldingJ1(maxStalledCount: number) {
    const name = queueName();
    const queue = makeQueue(name, connection());
    await queue.setGlobalConcurrency(1);
    await addAll(queue, ['j1', 'j2', 'j3']);
    const child = spawnNode(STALL_WORKER, [
      redis().url,
      name,
      String(lockDuration),
      String(stalledInterval),
    ]);
    await child.waitForLine(/^ACTIVE j1$/, 10_000);
    const picks: Array<{ id: string; at: number }> = [];
    const stalledIds: string[] = [];
    const { worker } = makeWorker(
      name,
      async (job) => void picks.push({ id: job.id ?? '?', at: Date.now() }),
      {
        lockDuration,
        stalledInterval,
        maxStalledCount,
      },
    );
    worker.on('stalled', (id) => stalledIds.push(id));
    await worker.waitUntilReady();
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await child.exited;
    return { queue, picks, stalledIds, killedAt };
  }

  it('the job returns to the HEAD and is processed within ≈ lockDuration + 2 × stalledInterval', async () => {
    const { queue, picks, stalledIds, killedAt } = await crashHoldingJ1(1_000);
    await waitUntil(async () => (await queue.getCompletedCount()) === 3, {
      message: '3 completed',
      timeoutMs: 15_000,
    });
    expect(picks.map((p) => p.id)).toEqual(['j1', 'j2', 'j3']);
    expect(stalledIds).toEqual(['j1']);
    const recoveryMs = picks[0]!.at - killedAt;
    console.log(
      `[bullmq-mechanics] stalled recovery: ${recoveryMs} ms (L=${lockDuration}, S=${stalledInterval})`,
    );
    expect(recoveryMs).toBeLessThan(lockDuration + 2 * stalledInterval + 1_000);
    expect((await queue.getJob('j1'))?.stalledCounter).toBe(1);
    expect(await queue.getFailedCount()).toBe(0);
  });

  it('with maxStalledCount 0 the same single crash moves the job to failed (= loss)', async () => {
    const { queue, picks } = await crashHoldingJ1(0);
    await waitUntil(async () => (await queue.getFailedCount()) === 1, {
      message: 'j1 failed',
      timeoutMs: 15_000,
    });
    expect((await queue.getJob('j1'))?.failedReason).toBe('job stalled more than allowable limit');
    await waitUntil(async () => (await queue.getCompletedCount()) === 2, {
      message: 'j2, j3 completed',
    });
    expect(picks.map((p) => p.id)).toEqual(['j2', 'j3']);
  });
});
