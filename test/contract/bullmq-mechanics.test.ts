/**
 * The BullMQ 6.7.0 behaviour the durable queue relies on, proved against a real redis-server.
 * Several points are implementation details (Lua scripts) that BullMQ's docs only hint at; if
 * an upgrade changes one, this file says which. Each test uses its own queue.
 *
 * A contract test (test/contract/): it checks BullMQ and Redis, not regnotify. Without
 * redis-server it fails with the install command (test/helpers/redis-server.ts), never skips.
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
/**
 * Lower bounds on the limit's end: it runs on Redis's clock from a SET made after `t0`, and load
 * only makes picks later, so the margin is the whole milliseconds of two clocks, not load.
 */
const ROUNDING_MS = 10;

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
  // The three workers are ready before the jobs arrive, and each processor holds its job until
  // an overlap has been seen (or its window passes), so any overlap the queue allows is
  // observed rather than left to chance. The control's window is long: it ends at the first
  // overlap, which ready workers show within milliseconds; with the limit, each of the six jobs
  // is held 300 ms, in which two idle, ready workers would have taken the next job.
  async function runThreeWorkers(
    globalConcurrency: boolean,
  ): Promise<{ max: number; order: string[] }> {
    const name = queueName();
    const queue = makeQueue(name, connection());
    if (globalConcurrency) await queue.setGlobalConcurrency(1);
    const ids = ['j1', 'j2', 'j3', 'j4', 'j5', 'j6'];
    const holdMs = globalConcurrency ? 300 : 10_000;
    let active = 0;
    let max = 0;
    const order: string[] = [];
    const processor: Processor = async (job) => {
      order.push(job.id ?? '?');
      max = Math.max(max, ++active);
      const until = Date.now() + holdMs;
      while (max < 2 && Date.now() < until) await delay(5);
      active--;
    };
    const workers = [1, 2, 3].map(() => makeWorker(name, processor, { concurrency: 1 }));
    await Promise.all(workers.map(({ worker }) => worker.waitUntilReady()));
    await addAll(queue, ids);
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
    for (const pick of picks) expect(pick.at).toBeGreaterThanOrEqual(t0 + limitMs - ROUNDING_MS);
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
    for (const pick of picks) expect(pick.at).toBeGreaterThanOrEqual(t0 + limitMs - ROUNDING_MS);
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
    // ≈ L + 2S is the claim; twice that leaves room for a loaded machine's late timers and
    // still tells it from BullMQ's defaults (a 30 s lock, stalled checks every 30 s).
    expect(recoveryMs).toBeLessThan(2 * (lockDuration + 2 * stalledInterval));
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

describe('f. removeOnComplete in WorkerOptions', () => {
  it('{ count: 0 } removes completed jobs entirely', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await addAll(queue, ['j1', 'j2', 'j3']);
    let done = 0;
    const { worker } = makeWorker(name, async () => undefined, { removeOnComplete: { count: 0 } });
    worker.on('completed', () => done++);
    await waitUntil(() => done === 3, { message: '3 completed events' });
    expect(await queue.getCompletedCount()).toBe(0);
    expect(await client.exists(key(name, 'j1'), key(name, 'j2'), key(name, 'j3'))).toBe(0);
  });

  it('pitfall: boolean true breaks completion (Lua error, lock gone, job stuck in active)', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await addAll(queue, ['j1']);
    const { errors } = makeWorker(name, async () => undefined, {
      removeOnComplete: true as unknown as KeepJobs, // what a JS caller (or a bad cast) can pass
    });
    await waitUntil(() => errors.length > 0, { message: 'worker error' });
    expect(errors[0]?.message).toMatch(/attempt to index field 'keepJobs' \(a boolean value\)/);
    expect(await queue.getJobState('j1')).toBe('active');
    // The script removed the lock before failing (Redis does not roll back a failed script),
    // so the stalled checker will hand the job out again: re-POSTed for ever.
    expect(await client.exists(key(name, 'j1:lock'))).toBe(0);
  });
});

describe('g. duplicate custom jobId', () => {
  it('stores one job; add returns a Job with the id but the NEW (unstored) data; only the events stream tells', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    const first = await queue.add('event', 'first', { jobId: 'dup' });
    const second = await queue.add('event', 'second', { jobId: 'dup' });
    expect(first.id).toBe('dup');
    expect(second.id).toBe('dup');
    expect(second.data).toBe('second'); // misleading: not what is stored
    expect((await queue.getJob('dup'))?.data).toBe('first');
    expect(await client.lrange(key(name, 'wait'), 0, -1)).toEqual(['dup']);
    const events = await client.xrange(key(name, 'events'), '-', '+');
    const kinds = events.map(([, fields]) => `${fields[1]}:${fields[3]}`);
    expect(kinds).toEqual(['added:dup', 'waiting:dup', 'duplicated:dup']);
  });
});

describe('h. abort signal, lock renewal failure, close()', () => {
  it('passes an AbortSignal only to processors declaring a 3rd parameter', async () => {
    const name = queueName();
    const queue = makeQueue(name, connection());
    await addAll(queue, ['j1', 'j2']);
    const received: Array<AbortSignal | undefined> = [];
    makeWorker(name, async (_job, _token, signal) => void received.push(signal));
    await waitUntil(() => received.length === 2);
    expect(received.every((s) => s instanceof AbortSignal)).toBe(true);

    const other = queueName();
    const otherQueue = makeQueue(other, connection());
    await addAll(otherQueue, ['j1']);
    const thirdArgs: unknown[] = [];
    // BullMQ checks processor.length >= 3; a rest parameter has length 0.
    makeWorker(other, async (...args: unknown[]) => void thirdArgs.push(args[2]));
    await waitUntil(() => thirdArgs.length === 1);
    expect(thirdArgs).toEqual([undefined]);
  });

  it("emits 'lockRenewalFailed' but does NOT abort the signal; cancelJob() does", async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    await addAll(queue, ['j1']);
    const started = deferred<AbortSignal>();
    const release = deferred();
    const { worker } = makeWorker(
      name,
      async (_job, _token, signal) => {
        started.resolve(signal!);
        await release.promise;
      },
      { lockDuration: 1_000 },
    );
    const failedRenewals: string[][] = [];
    worker.on('lockRenewalFailed', (ids) => failedRenewals.push(ids));
    const signal = await started.promise;
    await client.del(key(name, 'j1:lock')); // as if the lock had expired during a Redis outage
    await waitUntil(() => failedRenewals.length > 0, { message: 'lockRenewalFailed' });
    expect(failedRenewals[0]).toEqual(['j1']);
    expect(signal.aborted).toBe(false);
    expect(worker.cancelJob('j1', 'lock lost')).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('lock lost');
    release.resolve();
  });

  it('close() waits for the active processor and its completion; close(true) does not', async () => {
    const name = queueName();
    const queue = makeQueue(name, connection());
    await addAll(queue, ['j1', 'j2']);
    const started = deferred();
    const release = deferred();
    const steps: string[] = [];
    const { worker } = makeWorker(name, async (job) => {
      if (job.id !== 'j1') return;
      started.resolve();
      await release.promise;
      steps.push('processor done');
    });
    await started.promise;
    const closing = new Promise<void>((resolve) => worker.once('closing', () => resolve()));
    const closed = worker.close().then(() => steps.push('close resolved'));
    await closing;
    expect(await queue.getJobState('j1')).toBe('active');
    release.resolve();
    await closed;
    expect(steps).toEqual(['processor done', 'close resolved']);
    expect(await queue.getJobState('j1')).toBe('completed');
    expect(await queue.getJobState('j2')).toBe('waiting'); // not fetched while closing

    const forced = deferred();
    const { worker: second } = makeWorker(name, async () => {
      forced.resolve();
      await new Promise(() => undefined); // never finishes
    });
    await forced.promise;
    await second.close(true);
    expect(await queue.getJobState('j2')).toBe('active'); // left for the stalled checker
  });
});

/** A real 998-byte registry event (compact JSON), from a distribution 2.8.2 capture. */
function realEvent(id: string): string {
  return JSON.stringify({
    id,
    timestamp: '2026-11-28T04:41:25.630394073Z',
    action: 'push',
    target: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 418,
      digest: 'sha256:e87c1263cc39d22f20119e2b4462bbf0c93d32fcb1777eabb8e2ae2b9f104dbf',
      length: 418,
      repository: 'demo/app',
      url: 'http://127.0.0.1:5001/v2/demo/app/manifests/sha256:e87c1263cc39d22f20119e2b4462bbf0c93d32fcb1777eabb8e2ae2b9f104dbf',
      tag: 'v1',
      references: [
        {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          size: 173,
          digest: 'sha256:4caa08bf7f21a1572eec17d38603700554ab7a2a003d9fc1fdea01661d674fee',
        },
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          size: 113,
          digest: 'sha256:5609a81d0ee4db909973e5e786b509f5e58451535018aa626bfb540bd5bf0dae',
        },
      ],
    },
    request: {
      id: '1c5247b8-408b-4284-abd1-3d1bc4ccfe2c',
      addr: '127.0.0.1:59526',
      host: '127.0.0.1:5001',
      method: 'PUT',
      useragent: 'skopeo/1.9.3',
    },
    actor: {},
    source: { addr: 'vm:5001', instanceID: '6cc549f8-af1b-453d-bea6-c584dcfe0f5c' },
  });
}

describe('i. job data as a bare JSON string, and memory per pending job', () => {
  const ID = '52a15bf1-32e2-496d-9285-93d95c9ac4b2';

  it('returns a string verbatim, but stores it JSON-encoded again (quotes escaped)', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    const event = realEvent(ID);
    await queue.add('event', event, { jobId: 'j1' });
    const stored = await client.hget(key(name, 'j1'), 'data');
    expect(stored).toBe(JSON.stringify(event));
    const seen: string[] = [];
    makeWorker(name, async (job) => void seen.push(job.data));
    await waitUntil(() => seen.length === 1);
    expect(seen[0]).toBe(event);
    console.log(`[bullmq-mechanics] event ${event.length} B is stored as ${stored?.length} B`);
  });

  it('a ~1 KB job hash is compact (listpack) only when hash-max-listpack-value covers it', async () => {
    const name = queueName();
    const client = connection();
    const queue = makeQueue(name, client);
    const usage = async (jobId: string): Promise<[string, number]> => {
      await queue.add('event', realEvent(jobId), { jobId });
      const encoding = String(await client.object('ENCODING', key(name, jobId)));
      // SAMPLES 0: count every field. The default (5 sampled fields) can badly underestimate a
      // hashtable whose fields differ in size, which made this comparison flaky.
      return [
        encoding,
        Number(await client.call('MEMORY', 'USAGE', key(name, jobId), 'SAMPLES', '0')),
      ];
    };
    const [defaultEncoding, defaultBytes] = await usage('default');
    await client.config('SET', 'hash-max-listpack-value', '2048');
    try {
      const [bigEncoding, bigBytes] = await usage('listpack');
      console.log(
        `[bullmq-mechanics] job hash MEMORY USAGE: ${defaultBytes} B (${defaultEncoding}, value limit 64) vs ` +
          `${bigBytes} B (${bigEncoding}, limit 2048)`,
      );
      expect(defaultEncoding).toBe('hashtable');
      expect(bigEncoding).toBe('listpack');
      expect(bigBytes).toBeLessThan(defaultBytes);
    } finally {
      await client.config('SET', 'hash-max-listpack-value', '64');
    }
  });

  it('used_memory per pending job over 5,000 adds: events stream capped or not, listpack or not', async () => {
    const client = connection();
    const perJob = async (
      queueOpts: Partial<QueueOptions>,
      listpackValue: number,
    ): Promise<number> => {
      await client.config('SET', 'hash-max-listpack-value', String(listpackValue));
      const name = queueName();
      const queue = makeQueue(name, client, queueOpts);
      await queue.waitUntilReady();
      const before = await usedMemory(client);
      for (let start = 0; start < 5_000; start += 500) {
        const batch = Array.from({ length: 500 }, (_, i) => {
          const id = `${ID.slice(0, 30)}${String(start + i).padStart(6, '0')}`;
          return { name: 'event', data: realEvent(id), opts: { jobId: id } };
        });
        await queue.addBulk(batch);
      }
      const bytes = Math.round(((await usedMemory(client)) - before) / 5_000);
      await queue.obliterate({ force: true });
      return bytes;
    };
    try {
      const plain = await perJob({}, 64);
      const capped = await perJob({ streams: { events: { maxLen: 10 } } }, 64);
      const compact = await perJob({ streams: { events: { maxLen: 10 } } }, 2048);
      console.log(
        `[bullmq-mechanics] used_memory per pending 998 B event: ${plain} B (defaults), ` +
          `${capped} B (events maxLen 10), ${compact} B (maxLen 10 + hash-max-listpack-value 2048)`,
      );
      expect(capped).toBeLessThan(plain);
      expect(compact).toBeLessThan(capped);
    } finally {
      await client.config('SET', 'hash-max-listpack-value', '64');
    }
  });
});

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}
