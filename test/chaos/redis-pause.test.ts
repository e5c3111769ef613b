/**
 * Chaos (issue 7, "Must hold"): Redis frozen with SIGSTOP for ~3 s under a steady ingest load,
 * then SIGCONT. A frozen Redis keeps its TCP connections open and answers nothing, so only the
 * ingest's command timeout stands between a registry and a hung request: with
 * redis.commandTimeoutMs 1000 (under the pause) the ingest must answer 503 while Redis is
 * stopped, 200 again after, and deliver every event it answered 200 for.
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
import { delay, waitUntil } from '../helpers/wait.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

const PAUSE_MS = 3000;
const COMMAND_TIMEOUT_MS = 1000;

it('Redis SIGSTOP for 3 s under load: 503 while stopped, 200 after, every acknowledged event delivered', async () => {
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const rx = await startReceiver();
  cleanup(() => rx.close());
  const port = await freePort();
  const env = serviceEnv({
    redis: { url: redis.url },
    receiverUrl: rx.url,
    extra: {
      REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}`,
      REGNOTIFY_REDIS_COMMANDTIMEOUTMS: String(COMMAND_TIMEOUT_MS),
    },
  });
  await startService('ingest', env, cleanup);
  await startService('work', env, cleanup);
  const load = startLoad({ url: `http://127.0.0.1:${port}/events`, tag: 'pause', ratePerSec: 100 });
  cleanup(() => load.stop());

  await waitUntil(() => load.acked().length >= 150, {
    timeoutMs: 15_000,
    message: '150 events acknowledged before the pause',
  });
  let stopped = true;
  const resume = (): void => {
    if (stopped) process.kill(redis.pid, 'SIGCONT');
    stopped = false;
  };
  cleanup(async () => resume()); // a stopped redis-server would never take its SIGTERM
  const stopAt = now();
  process.kill(redis.pid, 'SIGSTOP');
  await delay(PAUSE_MS); // the fault's length, not a synchronisation
  const contAt = now();
  resume();
  const back = await load.waitForAnswer(200, contAt, 15_000);
  const ackedAtCont = load.acked().length;
  await waitUntil(() => load.acked().length >= ackedAtCont + 150, {
    timeoutMs: 15_000,
    message: '150 more events acknowledged after SIGCONT',
  });
  await load.stop();
  const t = await settleDeliveries(load, rx, 30_000);

  // Sent while Redis was stopped and answered before it was resumed: must all be 503.
  const whileStopped = load.requests.filter(
    (r) => r.sentAt >= stopAt && r.answeredAt !== undefined && r.answeredAt < contAt,
  );
  const statusesWhileStopped: Record<string, number> = {};
  for (const r of whileStopped)
    statusesWhileStopped[String(r.status)] = (statusesWhileStopped[String(r.status)] ?? 0) + 1;
  reportChaos('redis-sigstop', {
    pauseMs: msBetween(stopAt, contAt),
    acked: t.acked,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates,
    deliveredNotAcked: t.deliveredNotAcked,
    statuses: load.statusCounts(),
    statusesWhileStopped,
    ingestBackMs: msBetween(contAt, back.answeredAt),
    deliveryResumedMs: msBetween(contAt, firstDeliveryAfter(rx, contAt)),
  });
  expect(t.missing.length, missingMessage(t)).toBe(0);
  expect(whileStopped.length, 'requests sent and answered while Redis was stopped').toBeGreaterThan(
    0,
  );
  expect(statusesWhileStopped, 'answers while Redis was stopped').toEqual({
    '503': whileStopped.length,
  });
}, 90_000);
