/**
 * Chaos (issue 7, item 9): Redis restarted WITHOUT its data (its AOF dir deleted) while events
 * are pending. The events are gone — nothing regnotify can do about that — but the loss must
 * not be silent: both the ingest and the worker process log an error line saying Redis lost
 * data (naming the endpoint), and `regnotify_redis_data_loss_total` on their /metrics becomes
 * ≥ 1.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import {
  ENDPOINT,
  logRecords,
  metricValue,
  msBetween,
  reportChaos,
  serviceEnv,
  startService,
} from '../helpers/chaos.js';
import type { LogRecord } from '../helpers/chaos.js';
import { now, startLoad } from '../helpers/load.js';
import type { Child } from '../helpers/processes.js';
import { reapChildren } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

const METRIC = 'regnotify_redis_data_loss_total';

/** An error-level (pino ≥ 50) line saying data was lost and naming the endpoint. */
function lossLine(proc: Child, since: number): LogRecord | undefined {
  return logRecords(proc).find(
    (r) =>
      r.level >= 50 && r.time >= since - 1 && /lost/i.test(r.line) && r.line.includes(ENDPOINT),
  );
}

it('Redis restarted without its data while events are pending: an error line and a metric say so', async () => {
  const redis = await startRedis();
  cleanup(() => redis.stop());
  // The endpoint refuses everything, so the acknowledged events stay pending in Redis.
  const rx = await startReceiver({ respond: () => 503 });
  cleanup(() => rx.close());
  const [ingestPort, workerMetricsPort] = [await freePort(), await freePort()];
  const env = serviceEnv({
    redis: { url: redis.url },
    receiverUrl: rx.url,
    extra: { REGNOTIFY_INGEST_ADDR: `127.0.0.1:${ingestPort}` },
  });
  const ingest = await startService('ingest', env, cleanup);
  const worker = await startService(
    'work',
    { ...env, REGNOTIFY_METRICS_ADDR: `127.0.0.1:${workerMetricsPort}` },
    cleanup,
  );
  const load = startLoad({
    url: `http://127.0.0.1:${ingestPort}/events`,
    tag: 'wiped',
    ratePerSec: 50,
  });
  cleanup(() => load.stop());
  await waitUntil(() => load.acked().length >= 50 && rx.requests.length > 0, {
    timeoutMs: 15_000,
    message: '50 events acknowledged and the worker trying to deliver',
  });

  const pendingAtLoss = load.acked().length;
  // A process may notice the loss before restart() returns (it reconnects the moment Redis
  // accepts connections): its line counts from the kill on.
  const killedAt = now();
  await redis.kill9();
  // The AOF is all Redis keeps (save ''): without it the restart comes up empty.
  await rm(path.join(redis.dataDir, 'appendonlydir'), { recursive: true, force: true });
  await redis.restart();
  const restartedAt = now();

  const seen = { ingest: undefined as number | undefined, worker: undefined as number | undefined };
  const metrics = { ingest: 0, worker: 0 };
  await waitUntil(
    async () => {
      seen.ingest ??= lossLine(ingest, killedAt)?.time;
      seen.worker ??= lossLine(worker, killedAt)?.time;
      metrics.ingest = (await metricValue(`http://127.0.0.1:${ingestPort}/metrics`, METRIC)) ?? 0;
      metrics.worker =
        (await metricValue(`http://127.0.0.1:${workerMetricsPort}/metrics`, METRIC)) ?? 0;
      return (
        seen.ingest !== undefined &&
        seen.worker !== undefined &&
        metrics.ingest >= 1 &&
        metrics.worker >= 1
      );
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  ).catch(() => undefined); // the figures are reported first; the assertions below say what failed
  await load.stop();

  reportChaos('redis-restart-without-data', {
    pendingAtLoss,
    ingestLogMs: msBetween(restartedAt, seen.ingest),
    workerLogMs: msBetween(restartedAt, seen.worker),
    ingestMetric: metrics.ingest,
    workerMetric: metrics.worker,
  });
  const hint = `an error line containing "lost" and "${ENDPOINT}"`;
  expect(seen.ingest, `ingest logged ${hint} within 15 s`).toBeDefined();
  expect(seen.worker, `worker logged ${hint} within 15 s`).toBeDefined();
  expect(metrics.ingest, `ingest /metrics ${METRIC}`).toBeGreaterThanOrEqual(1);
  expect(metrics.worker, `worker /metrics ${METRIC}`).toBeGreaterThanOrEqual(1);
}, 60_000);
