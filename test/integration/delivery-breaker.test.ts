import { Agent } from 'undici';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/queue/connection.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import type { DeliveryEndpoint } from '../../src/queue/worker.js';
import {
  endpointSpec,
  failedCount,
  fastTuning,
  makeEvent,
  spawnWorkers,
  startProducer,
  stopWorkers,
  uniqueName,
} from '../helpers/delivery.js';
import { reapChildren } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { RecordedRequest, Receiver } from '../helpers/receiver.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

afterEach(() => reapChildren());

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const rx = await startReceiver(respond);
  cleanup(() => rx.close());
  return rx;
}

/**
 * Time from one attempt's arrival to the next's. A backoff starts once the worker (another
 * process) has read the failed answer, which is after its request arrived here: so a backoff
 * shows as at least `backoffMs`, whatever the load. (The receiver's `completedAt` would not do:
 * on a busy machine it can be recorded after the worker already started waiting.)
 */
function gaps(reqs: RecordedRequest[]): number[] {
  return reqs.slice(1).map((r, i) => r.receivedAt - reqs[i]!.receivedAt);
}

/** Whole milliseconds on three clocks (the worker's, Redis's, ours): rounding, not load. */
const ROUNDING_MS = 10;

describe('threshold and backoff, held in Redis, bind every worker process', () => {
  it('retries threshold times at once, then waits backoff after each failure; a success resets', async () => {
    const name = uniqueName('breaker');
    const threshold = 3;
    // Long enough that an attempt made at once stays under it on a loaded machine.
    const backoffMs = 1000;
    // e1: 5 failures then success; e2: 3 failures then success.
    const plan = [500, 500, 500, 500, 500, 200, 503, 503, 503, 200];
    const rx = await receiver({ respond: (_r, i) => plan[i] ?? 200 });
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const workers = await spawnWorkers(3, {
      redisUrl: redis().url,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { threshold, backoffMs } }),
    });
    const [e1, e2] = [makeEvent(1, 'br'), makeEvent(2, 'br')];
    await producer.sink.writeMany([e1!, e2!]);
    const reqs = await rx.waitFor(plan.length, 30_000);
    expect(reqs.map((r) => eventIdsOf(r)[0])).toEqual([
      ...Array(6).fill(e1!.id),
      ...Array(4).fill(e2!.id),
    ]);
    const g = gaps(reqs);
    // e1: attempts 2 and 3 come at once (sooner than any backoff could end); 4, 5 and 6 each
    // at least `backoff` after the failure before them.
    const gap = (i: number) => expect(g[i], `gap ${i} (ms) of ${g.map(Math.round).join(', ')}`);
    for (const i of [0, 1]) gap(i).toBeLessThan(backoffMs - ROUNDING_MS);
    for (const i of [2, 3, 4]) gap(i).toBeGreaterThanOrEqual(backoffMs - ROUNDING_MS);
    // The success reset the count: e2's first attempt and two retries come at once again.
    for (const i of [5, 6, 7]) gap(i).toBeLessThan(backoffMs - ROUNDING_MS);
    gap(8).toBeGreaterThanOrEqual(backoffMs - ROUNDING_MS);
    await stopWorkers(workers);

    const stats = await readEndpointStats(producer.client, prefix, name);
    expect(stats).toMatchObject({ pending: 0, successes: 2, failures: 8, errors: 0, events: 2 });
    expect(stats.statuses).toEqual({
      '200 OK': 2,
      '500 Internal Server Error': 5,
      '503 Service Unavailable': 3,
    });
  });
});

describe('nothing is dropped by default', () => {
  async function inProcessWorker(endpoint: DeliveryEndpoint) {
    const connection = createRedisClient({ url: redis().url }, 'worker');
    const worker = new EndpointWorker({
      connection,
      prefix,
      endpoint,
      tuning: fastTuning,
      logger: pino({ level: 'silent' }),
    });
    await worker.start();
    cleanup(async () => {
      await worker.close();
      await connection.quit();
    });
    return worker;
  }

  it.each([
    ['400 Bad Request', { status: 400 }],
    ['404 Not Found', { status: 404 }],
    ['500 Internal Server Error', { status: 500 }],
    ['a timeout', { status: 200, delayMs: 1500 }],
    ['a dropped connection', { status: 0, destroy: true }],
  ])('retries through %s until delivered, never into the failed set', async (_label, failure) => {
    const name = uniqueName('retry');
    const rx = await receiver({ respond: (_r, i) => (i < 4 ? failure : 200) });
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    await inProcessWorker(
      endpointSpec(name, rx.url, {
        policy: { threshold: 2, backoffMs: 50 },
        http: { timeoutMs: 300 },
      }),
    );
    const ev = makeEvent(7, 'nd');
    await producer.sink.write(ev);
    const reqs = await rx.waitFor(5, 20_000);
    expect(reqs.map((r) => eventIdsOf(r)[0])).toEqual(Array(5).fill(ev.id));
    const admin = redis().client();
    cleanup(() => admin.quit());
    expect(await failedCount(admin, prefix, name)).toBe(0);
  });

  it('retries through refused connections and DNS failures', async () => {
    const rx = await receiver();
    await rx.close(); // refused from now on
    const refused = uniqueName('refused');
    const dns = uniqueName('dns');
    const producer = await startProducer(redis().url, prefix, [{ name: refused }, { name: dns }]);
    cleanup(() => producer.close());
    // No real DNS query leaves the machine: the lookup itself fails, as a resolver would.
    let lookups = 0;
    const dispatcher = new Agent({
      connect: {
        lookup: (_host, _opts, cb) => {
          lookups += 1;
          cb(
            Object.assign(new Error('getaddrinfo ENOTFOUND registry-hooks.example'), {
              code: 'ENOTFOUND',
            }),
            '',
            4,
          );
        },
      },
    });
    cleanup(() => dispatcher.close());
    await inProcessWorker(
      endpointSpec(refused, rx.url, { policy: { threshold: 1, backoffMs: 50 } }),
    );
    await inProcessWorker(
      endpointSpec(dns, 'http://registry-hooks.example/events', {
        policy: { threshold: 1, backoffMs: 50 },
        http: { dispatcher },
      }),
    );
    await producer.sink.write(makeEvent(1, 'rf'));
    const admin = redis().client();
    cleanup(() => admin.quit());
    // Wait until both endpoints have failed several times, then bring the receiver back.
    await waitUntil(
      async () => {
        const [a, b] = await Promise.all([
          readEndpointStats(admin, prefix, refused),
          readEndpointStats(admin, prefix, dns),
        ]);
        return a.errors >= 3 && b.errors >= 3;
      },
      { timeoutMs: 15_000, message: 'three failed attempts on each endpoint' },
    );
    expect(lookups).toBeGreaterThanOrEqual(3);
    await rx.reopen();
    await rx.waitFor(1, 10_000);
    const stats = await readEndpointStats(admin, prefix, dns);
    expect(stats.pending).toBe(1); // still waiting for DNS, not dropped
    expect(await failedCount(admin, prefix, dns)).toBe(0);
    expect(await failedCount(admin, prefix, refused)).toBe(0);
  });
});
