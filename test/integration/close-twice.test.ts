/**
 * The delivery worker and the producer may be closed again, during or after the first close
 * (a signal and a fatal error can race): each call resolves, none rejects. The unit-level
 * parts: test/unit/close-twice.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/queue/connection.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import { useCleanups } from '../helpers/cleanup.js';
import { endpointSpec, fastTuning, startProducer, uniqueName } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const cleanup = useCleanups();

describe('close twice', () => {
  it('EndpointWorker: a second close is the first; the worker stops once', async () => {
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const connection = createRedisClient({ url: redis().url }, 'worker');
    cleanup(() => connection.quit());
    const worker = new EndpointWorker({
      connection,
      prefix: uniqueName('close'),
      endpoint: endpointSpec('a', rx.url),
      tuning: fastTuning,
      logger: pino({ level: 'silent' }),
    });
    await worker.start();
    const first = worker.close();
    expect(worker.close()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    await expect(worker.close()).resolves.toBeUndefined();
    expect(worker.running).toBe(false);
  });

  it('the producer (DurableSink): a second close resolves', async () => {
    const producer = await startProducer(redis().url, uniqueName('close'), [{ name: 'a' }]);
    cleanup(async () => producer.client.disconnect());
    await expect(producer.sink.close()).resolves.toBeUndefined();
    await expect(producer.sink.close()).resolves.toBeUndefined();
  });
});
