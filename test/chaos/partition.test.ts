/**
 * Chaos (issue 7, item 9): network partitions made with iptables (test/helpers/partition.ts:
 * packets to and from a port on 127.0.0.1 dropped, so connections hang rather than fail).
 *  - Redis cut off from the ingest and the worker for 20 s under load: after the heal the ingest
 *    must answer 200 again within 2 s (measured 6.7 s in the issue) and every acknowledged
 *    event be delivered.
 *  - The receiver cut off from the worker (endpoint timeout 1s): each attempt must end within
 *    about the timeout, connect included (the issue measured 8.4 s on a new connection), and
 *    the breaker must back off after `threshold` failures.
 * Needs root and iptables (Debian/Ubuntu: apt-get install -y iptables).
 */
import { afterEach, beforeAll, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import {
  firstDeliveryAfter,
  logRecords,
  missingMessage,
  msBetween,
  reportChaos,
  serviceEnv,
  settleDeliveries,
  startService,
} from '../helpers/chaos.js';
import { startLoad } from '../helpers/load.js';
import { cutPort, healAll, iptablesProblem } from '../helpers/partition.js';
import { reapChildren } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { pingRedis } from '../../src/embedded/net.js';
import { delay, waitUntil } from '../helpers/wait.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();
afterEach(() => healAll()); // registered last, so it runs first: services stop on a healed network

beforeAll(() => {
  const problem = iptablesProblem();
  if (problem !== undefined) throw new Error(problem);
});

it('partition.ts drops traffic to a port until healed', async () => {
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const cut = await cutPort(redis.port);
  expect(await pingRedis(redis.port, 500), 'PING through the partition').toBe(false);
  await cut.heal();
  expect(await pingRedis(redis.port, 2000), 'PING after the heal').toBe(true);
});

it('Redis partitioned from the ingest and the worker for 20 s under load: 200 again within 2 s of the heal, every acknowledged event delivered', async () => {
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const rx = await startReceiver();
  cleanup(() => rx.close());
  const port = await freePort();
  const env = serviceEnv({
    redis: { url: redis.url },
    receiverUrl: rx.url,
    extra: { REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}` },
  });
  await startService('ingest', env, cleanup);
  await startService('work', env, cleanup);
  // Many senders with a long client timeout: requests hang through the partition (the
  // ingest's command timeout answers them), and some are always waiting when it heals.
  const load = startLoad({
    url: `http://127.0.0.1:${port}/events`,
    tag: 'netsplit',
    senders: 8,
    ratePerSec: 50,
    requestTimeoutMs: 30_000,
  });
  cleanup(() => load.stop());
  await waitUntil(() => load.acked().length >= 100, {
    timeoutMs: 15_000,
    message: '100 events acknowledged before the partition',
  });

  const cut = await cutPort(redis.port);
  await delay(20_000); // the fault's length, not a synchronisation
  const healedAt = await cut.heal();
  const back = await load.waitForAnswer(200, healedAt, 30_000, 'answered').catch(() => undefined);
  const ackedAtBack = load.acked().length;
  await waitUntil(() => load.acked().length >= ackedAtBack + 100, { timeoutMs: 15_000 }).catch(
    () => undefined,
  );
  await load.stop();
  const t = await settleDeliveries(load, rx, 30_000);

  // Answered while Redis was unreachable (100 ms after the cut: a reply already on its way then
  // may still be answered 200).
  const during = load.requests.filter(
    (r) => r.answeredAt !== undefined && r.answeredAt >= cut.cutAt + 100 && r.answeredAt < healedAt,
  );
  const statusesDuring: Record<string, number> = {};
  for (const r of during)
    statusesDuring[String(r.status)] = (statusesDuring[String(r.status)] ?? 0) + 1;
  const ingestBackMs = msBetween(healedAt, back?.answeredAt);
  reportChaos('redis-partition-20s', {
    partitionMs: msBetween(cut.cutAt, healedAt),
    acked: t.acked,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates,
    deliveredNotAcked: t.deliveredNotAcked,
    statuses: load.statusCounts(),
    statusesDuringPartition: statusesDuring,
    ingestBackMs,
    deliveryResumedMs: msBetween(healedAt, firstDeliveryAfter(rx, healedAt)),
  });
  expect(t.missing.length, missingMessage(t)).toBe(0);
  expect(statusesDuring['200'] ?? 0, '200 answers while Redis was unreachable').toBe(0);
  expect(ingestBackMs, 'heal → the ingest answers 200 (ms)').not.toBeNull();
  expect(ingestBackMs!, 'heal → the ingest answers 200 (ms)').toBeLessThanOrEqual(2000);
}, 90_000);

it('receiver partitioned from the worker (timeout 1s): every attempt ends within ~the timeout, and the breaker backs off', async () => {
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const rx = await startReceiver();
  cleanup(() => rx.close());
  const port = await freePort();
  const threshold = 3;
  const backoffMs = 1000;
  const env = serviceEnv({
    redis: { url: redis.url },
    receiverUrl: rx.url,
    timeout: '1s',
    threshold,
    backoff: `${backoffMs}ms`,
    extra: { REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}` },
  });
  await startService('ingest', env, cleanup);
  const worker = await startService('work', env, cleanup);
  const load = startLoad({
    url: `http://127.0.0.1:${port}/events`,
    tag: 'rxsplit',
    ratePerSec: 20,
  });
  cleanup(() => load.stop());
  await waitUntil(() => rx.requests.length >= 20, {
    timeoutMs: 15_000,
    message: '20 deliveries before the partition',
  });

  const cut = await cutPort(rx.port);
  await delay(8000); // the fault's length, not a synchronisation
  const healedAt = await cut.heal();
  await load.stop();
  const t = await settleDeliveries(load, rx, 30_000);

  // One line per failed attempt. Below the threshold the next attempt starts at once, so the
  // gap between two lines is one attempt; in backoff it is the wait plus one attempt. The attempt
  // after the last failure is the one that got through: it ends when the receiver has it.
  const failures = logRecords(worker)
    .filter((r) => r.msg === 'delivery attempt failed' && r.time >= cut.cutAt)
    .map((r) => ({ at: r.time, waitMs: (JSON.parse(r.line) as { waitMs?: number }).waitMs ?? 0 }));
  const attempts = failures.map((f, i) => {
    const prev = failures[i - 1];
    const startedAt = prev === undefined ? cut.cutAt : prev.at + prev.waitMs;
    return { startedAt, endedAt: f.at, afterBackoff: (prev?.waitMs ?? 0) > 0 };
  });
  const last = failures[failures.length - 1];
  const through = last === undefined ? undefined : firstDeliveryAfter(rx, last.at);
  if (last !== undefined && through !== undefined)
    attempts.push({
      startedAt: last.at + last.waitMs,
      endedAt: through,
      afterBackoff: last.waitMs > 0,
    });
  const attemptMs = attempts.map((a) => Math.round(a.endedAt - a.startedAt));
  reportChaos('receiver-partition', {
    partitionMs: msBetween(cut.cutAt, healedAt),
    failedAttempts: failures.length,
    attemptMs,
    backoffsMs: failures.filter((f) => f.waitMs > 0).map((f) => f.waitMs),
    acked: t.acked,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates,
    deliveryResumedMs: msBetween(healedAt, firstDeliveryAfter(rx, healedAt)),
  });
  expect(t.missing.length, missingMessage(t)).toBe(0);
  // Each attempt: the 1 s timeout, connect included, with generous room for a loaded machine.
  for (const ms of attemptMs)
    expect(ms, `attempt durations (ms) ${JSON.stringify(attemptMs)}`).toBeLessThanOrEqual(2500);
  // The breaker: after `threshold` failures in a row it holds every attempt for the backoff.
  expect(failures.length, 'failed attempts logged during the partition').toBeGreaterThan(threshold);
  const backedOff = attempts.filter((a) => a.afterBackoff);
  expect(backedOff.length, 'attempts made after a backoff').toBeGreaterThan(0);
  const waits = failures.filter((f) => f.waitMs > 0).map((f) => f.waitMs);
  expect(Math.min(...waits), 'backoff asked by the breaker (ms)').toBeGreaterThanOrEqual(
    backoffMs * 0.9,
  );
  // …and the next attempt did wait it: it starts after the failure line plus the backoff.
  for (let i = 1; i < failures.length; i++) {
    const prev = failures[i - 1]!;
    if (prev.waitMs > 0)
      expect(failures[i]!.at - prev.at, 'gap after a backoff (ms)').toBeGreaterThanOrEqual(
        prev.waitMs * 0.9,
      );
  }
}, 90_000);
