/**
 * What the contract tests of regnotify's jobs on BullMQ 6.7's layout share
 * (test/contract/strict-layout.test.ts, repo-layout.test.ts): a redis-server for the file, Redis
 * clients and BullMQ Queues closed after each test, events stored through the ingest's add
 * script, and the spec of a take. Call useJobLayout() at the top of the file (it registers hooks).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Event } from '../../src/events/types.js';
import { queueName } from '../../src/queue/names.js';
import type { TakeSpec } from '../../src/queue/strict-store.js';
import { useCleanups } from './cleanup.js';
import { startProducer } from './delivery.js';
import { useRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

/** The key prefix of every job-layout contract test (the default one). */
export const prefix = 'regnotify';

export interface JobLayout {
  redis: () => RedisServer;
  cleanup: ReturnType<typeof useCleanups>;
  /** A new client of the file's redis-server, quit after the test. */
  client(): Redis;
  /** BullMQ's own view of endpoint `name`'s queue, closed after the test. */
  queue(name: string): Queue;
  /** Stores `events` for endpoint `name` through the ingest's add script; their event ids. */
  store(name: string, events: readonly Event[]): Promise<string[]>;
}

export function useJobLayout(): JobLayout {
  const redis = useRedis();
  const cleanup = useCleanups();
  const client = (): Redis => {
    const c = redis().client();
    cleanup(() => c.quit());
    return c;
  };
  return {
    redis,
    cleanup,
    client,
    queue(name) {
      const q = new Queue(queueName(name), { connection: client(), prefix });
      cleanup(() => q.close());
      return q;
    },
    async store(name, events) {
      const producer = await startProducer(redis().url, prefix, [{ name }]);
      await producer.sink.writeMany(events);
      await producer.close();
      return events.map((e) => e.id);
    },
  };
}

/** A take by `token` of up to `count` jobs, each locked for `lockMs`. */
export function takeSpec(token: string, count: number, lockMs = 30_000): TakeSpec {
  return { token, lockMs, now: Date.now(), count, name: 'contract' };
}
