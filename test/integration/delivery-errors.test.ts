/**
 * A delivery run that fails on something unexpected — Redis trouble, a bug, a stored event the
 * code cannot read — must never reach BullMQ (a failed job is a lost event). The job stays at
 * the head of its queue; the failure is logged whole (stack included), counted through the
 * worker's `onDeliveryError` hook (the app feeds regnotify_delivery_errors_total), and the
 * worker backs off before it tries that job again instead of spinning on it.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { createRedisClient } from '../../src/queue/connection.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import {
  endpointSpec,
  failedCount,
  fastTuning,
  makeEvent,
  startProducer,
  uniqueName,
} from '../helpers/delivery.js';
import { events, startTestApp } from '../helpers/app.js';
import { startReceiver } from '../helpers/receiver.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useRedis } from '../helpers/redis-server.js';
import { delay, waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

interface Line {
  msg: string;
  at: number;
  err?: { type?: string; message?: string; stack?: string };
  retryInMs?: number;
}

function recordingLogger(): { lines: Line[]; logger: pino.Logger } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push({ ...(JSON.parse(chunk.toString('utf8')) as Line), at: performance.now() });
      cb();
    },
  });
  return { lines, logger: pino({ level: 'warn' }, stream) };
}

describe('a delivery run that fails unexpectedly', () => {
  it('is logged with its stack, counted, and backed off; the event stays and is delivered once readable', async () => {
    const name = uniqueName('bug');
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const event = makeEvent(1, 'bug');
    await producer.sink.writeMany([event]);

    // The stored text of the only job, made unreadable (what a bug or a hand edit could leave).
    const admin = redis().client();
    cleanup(() => admin.quit());
    const [jobId] = await admin.lrange(`${prefix}:{ep-${name}}:wait`, 0, -1);
    const jobKey = `${prefix}:{ep-${name}}:${jobId}`;
    const good = (await admin.hget(jobKey, 'data')) ?? '';
    await admin.hset(jobKey, 'data', '"unterminated');

    const { lines, logger } = recordingLogger();
    const counted: string[] = [];
    const connection = createRedisClient({ url: redis().url }, 'worker');
    const worker = new EndpointWorker({
      connection,
      prefix,
      endpoint: endpointSpec(name, rx.url),
      tuning: fastTuning,
      logger,
      onDeliveryError: (endpoint) => counted.push(endpoint),
    });
    cleanup(async () => {
      await worker.close();
      await connection.quit();
    });
    await worker.start();

    const failures = () => lines.filter((l) => l.msg.startsWith('delivery run failed'));
    await waitUntil(() => failures().length >= 1, { message: 'a failed delivery run' });
    const firstAt = failures()[0]!.at;
    await delay(3000); // the window in which failures are counted, not a synchronisation

    // Backing off (1 s, then 2 s, …) allows a handful of runs in 3 s; putting the job back at
    // once repeats the run as fast as Redis answers (hundreds).
    const inWindow = failures().filter((l) => l.at - firstAt <= 3000);
    expect(inWindow.length).toBeLessThanOrEqual(5);
    const first = failures()[0]!;
    expect(first.err?.type).toBe('SyntaxError');
    expect(first.err?.stack).toMatch(/\n\s+at /);
    expect(first.retryInMs).toBeGreaterThan(0);
    expect(counted.length).toBe(failures().length);
    expect(new Set(counted)).toEqual(new Set([name]));

    // Nothing was lost: readable again, the event is delivered, and BullMQ never failed it.
    await admin.hset(jobKey, 'data', good);
    const [delivered] = await rx.waitFor(1, 20_000);
    expect(delivered!.body).toBe(encodeEnvelope([event]));
    expect(await failedCount(admin, prefix, name)).toBe(0);
  });
});

describe('the service', () => {
  it('counts such runs in regnotify_delivery_errors_total{endpoint}', async () => {
    const rx = await startReceiver({ respond: () => 500 }); // the event stays pending
    cleanup(() => rx.close());
    const svc = await startTestApp({
      redisUrl: redis().url,
      prefix: uniqueName('errs'),
      endpoints: [{ name: 'a', url: rx.url, backoff: '1s', threshold: 1 }],
    });
    cleanup(() => svc.close());
    expect((await svc.post(events(1, 'errs'))).status).toBe(200);
    const admin = redis().client();
    cleanup(() => admin.quit());
    const base = `${svc.config.redis.prefix}:{ep-a}:`;
    // Both lists in one transaction: the job moves between them while the worker retries.
    const lists = (await admin
      .multi()
      .lrange(`${base}wait`, 0, -1)
      .lrange(`${base}active`, 0, -1)
      .exec()) as [Error | null, string[]][];
    const ids = lists.flatMap(([, list]) => list);
    expect(ids).toHaveLength(1);
    await admin.hset(`${base}${ids[0]!}`, 'data', '"unterminated');

    const series = /^regnotify_delivery_errors_total\{endpoint="a"\} [1-9]/m;
    await waitUntil(async () => series.test((await svc.get('/metrics')).text), {
      message: 'regnotify_delivery_errors_total{endpoint="a"} above 0',
      timeoutMs: 15_000,
    });
    const line = svc.lines().find((l) => String(l['msg']).startsWith('delivery run failed'));
    expect(line).toMatchObject({ endpoint: 'a', err: { type: 'SyntaxError' } });
  });
});
