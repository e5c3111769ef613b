/**
 * Building blocks for the durable-delivery tests: events, endpoint specs, a producer, and
 * delivery-worker child processes (test/integration/fixtures/delivery-worker.mjs, which runs
 * the compiled library: `npm run build` first).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { createRedisClient, waitReady } from '../../src/queue/connection.js';
import type { RedisClient } from '../../src/queue/connection.js';
import { rawFromStored } from '../../src/queue/layout.js';
import { DurableSink } from '../../src/queue/producer.js';
import type { ProducerEndpoint } from '../../src/queue/producer.js';
import type { DeliveryEndpoint, WorkerTuning } from '../../src/queue/worker.js';
import { spawnNode } from './processes.js';

export { makeEvent } from '../fixtures/sample-event.js';
import type { Child } from './processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const workerScript = path.join(here, '..', 'integration', 'fixtures', 'delivery-worker.mjs');
export const builtWorker = path.join(here, '..', '..', 'dist', 'src', 'queue', 'worker.js');

let counter = 0;
/** A unique name per test, so tests sharing a redis-server never see each other's keys. */
export function uniqueName(base: string): string {
  counter += 1;
  return `${base}-${process.pid}-${counter}`;
}

export function endpointSpec(
  name: string,
  url: string,
  overrides: {
    policy?: Partial<DeliveryEndpoint['policy']>;
    http?: DeliveryEndpoint['http'];
  } & Partial<Pick<DeliveryEndpoint, 'ordering' | 'concurrency'>> = {},
): DeliveryEndpoint {
  return {
    name,
    url,
    http: { timeoutMs: 1000, ...overrides.http },
    policy: {
      threshold: 10,
      backoffMs: 1000,
      maxBatch: 1,
      readAhead: 32,
      maxRetries: 0,
      maxAgeMs: 0,
      retryAfter: false,
      mediaType: '',
      ...overrides.policy,
    },
    ordering: overrides.ordering ?? 'strict',
    concurrency: overrides.concurrency ?? 1,
  };
}

export const fastTuning: WorkerTuning = { lockDurationMs: 2000, stalledIntervalMs: 1000 };

export interface Producer {
  sink: DurableSink;
  client: RedisClient;
  close(): Promise<void>;
}

export async function startProducer(
  redisUrl: string,
  prefix: string,
  endpoints: ProducerEndpoint[],
): Promise<Producer> {
  const client = createRedisClient({ url: redisUrl, commandTimeoutMs: 2000 }, 'producer');
  client.on('error', () => {});
  await waitReady(client);
  const sink = new DurableSink({ client, prefix, endpoints });
  return {
    sink,
    client,
    async close() {
      await sink.close();
      client.disconnect();
    },
  };
}

export async function spawnWorkers(
  count: number,
  spec: { redisUrl: string; prefix: string; endpoint: DeliveryEndpoint; tuning?: WorkerTuning },
): Promise<Child[]> {
  if (!existsSync(builtWorker)) throw new Error('dist/ is missing: run `npm run build` first');
  const arg = JSON.stringify({ tuning: fastTuning, ...spec });
  const children = Array.from({ length: count }, () => spawnNode(workerScript, [arg]));
  await Promise.all(children.map((c) => c.waitForLine(/^READY/, 15_000)));
  return children;
}

/** Stops children with SIGTERM and waits for them (a clean shutdown is part of the contract). */
export async function stopWorkers(children: Child[]): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
}

/** Keys of BullMQ's failed set for the endpoint: must stay empty (a failed job = a lost event). */
export async function failedCount(redis: Redis, prefix: string, name: string): Promise<number> {
  return redis.zcard(`${prefix}:{ep-${name}}:failed`);
}

/** First occurrence of each id, in arrival order: a crash may replay, but never reorder. */
export function firstSeen(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? false : (seen.add(id), true)));
}

/**
 * The ids of the events waiting in an endpoint's queue, oldest first (BullMQ pushes on the
 * left and takes from the right). Read from each job's stored bytes: job ids are not event ids.
 */
export async function pendingEventIds(
  redis: Redis,
  prefix: string,
  name: string,
): Promise<string[]> {
  const base = `${prefix}:{ep-${name}}:`;
  const jobs = (await redis.lrange(`${base}wait`, 0, -1)).reverse();
  const data = await Promise.all(jobs.map((id) => redis.hget(`${base}${id}`, 'data')));
  return data.map((d) => (JSON.parse(rawFromStored(d ?? '{}')) as { id?: string }).id ?? '');
}
