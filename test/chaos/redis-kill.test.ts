/**
 * Chaos (issue 7, "Must hold"): Redis is kill -9'd under a steady ingest load and restarted on
 * the same data dir (AOF, appendfsync everysec). Real processes throughout: `regnotify ingest`,
 * `regnotify work`, redis-server, a receiver. Every event answered 200 must be delivered.
 */
import { afterEach, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import {
  firstDeliveryAfter,
  missingMessage,
  msBetween,
  reportChaos,
  serviceEnv,
  settleDeliveries,
  startService,
} from '../helpers/chaos.js';
import { now, startLoad } from '../helpers/load.js';
import { reapChildren } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

it('Redis kill -9 under load, restarted on its AOF: every acknowledged event is delivered', async () => {
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
  const load = startLoad({ url: `http://127.0.0.1:${port}/events`, tag: 'kill9', ratePerSec: 100 });
  cleanup(() => load.stop());

  await waitUntil(() => load.acked().length >= 150, {
    timeoutMs: 15_000,
    message: '150 events acknowledged before the kill',
  });
  const killedAt = now();
  await redis.kill9();
  // Down until the ingest has noticed (it must refuse, not hang), then back on the same dir.
  const refused = await load.waitForAnswer(503, killedAt, 10_000);
  const restartAt = now();
  await redis.restart();
  const upAt = now();
  const back = await load.waitForAnswer(200, upAt, 15_000);
  const ackedAtRestart = load.acked().length;
  await waitUntil(() => load.acked().length >= ackedAtRestart + 150, {
    timeoutMs: 15_000,
    message: '150 more events acknowledged after the restart',
  });
  await load.stop();
  const t = await settleDeliveries(load, rx, 30_000);

  reportChaos('redis-kill9-restart', {
    acked: t.acked,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates,
    deliveredNotAcked: t.deliveredNotAcked,
    statuses: load.statusCounts(),
    firstRefusalMs: msBetween(killedAt, refused.answeredAt),
    redisDownMs: msBetween(killedAt, upAt),
    restartMs: msBetween(restartAt, upAt),
    ingestBackMs: msBetween(upAt, back.answeredAt),
    deliveryResumedMs: msBetween(upAt, firstDeliveryAfter(rx, upAt)),
  });
  expect(t.missing.length, missingMessage(t)).toBe(0);
}, 90_000);
