/**
 * Per-repository order against strict order (issue 9, point 3): the same receiver answering
 * after 20 ms (bench/receiver.ts --delay-ms=20, its own process), the same private redis-server,
 * the same run. A backlog of events over 16 repositories (interleaved, as pushes arrive) is
 * drained by one worker process (this one) with
 *   (a) ordering: strict — one POST in flight: at best 1 / 20 ms;
 *   (b) ordering: repository, concurrency 16 — one POST in flight per repository, 16 at once.
 * Prints events/s of each and (b) / (a), target >= 10 x; and Redis's time per take of (b).
 * Run: npm run build && node dist/bench/ordering.js [--strict=300] [--repo=3000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import type { Event } from '../src/events/types.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import type { RedisClient } from '../src/queue/connection.js';
import { DurableSink } from '../src/queue/producer.js';
import { readEndpointStats } from '../src/queue/stats.js';
import { EndpointWorker } from '../src/queue/worker.js';
import type { DeliveryEndpoint } from '../src/queue/worker.js';
import { makeEvent } from '../test/fixtures/sample-event.js';
import { numberArg, printResult, startServerChild } from './procs.js';

const N_STRICT = numberArg('strict', 300);
const N_REPO = numberArg('repo', 3000);
const REPOS = 16;
const logger = pino({ level: 'error' });

function event(i: number): Event {
  const e = makeEvent(i, 'order');
  return { ...e, target: { ...e.target, repository: `bench/r${i % REPOS}` } };
}

async function fill(client: RedisClient, name: string, n: number): Promise<void> {
  const sink = new DurableSink({ client, prefix: 'bench', endpoints: [{ name }] });
  for (let i = 0; i < n; i += 1000) {
    await sink.writeMany(Array.from({ length: Math.min(1000, n - i) }, (_, j) => event(i + j)));
  }
  await sink.close();
}

/** Events/s of one EndpointWorker draining `n` stored events of `name`. */
async function drain(
  redisUrl: string,
  admin: RedisClient,
  endpoint: Pick<DeliveryEndpoint, 'name' | 'url' | 'ordering' | 'concurrency'>,
  n: number,
): Promise<number> {
  const connection = createRedisClient({ url: redisUrl }, 'worker');
  const worker = new EndpointWorker({
    connection,
    prefix: 'bench',
    endpoint: {
      ...endpoint,
      http: { timeoutMs: 5000 },
      policy: {
        threshold: 10,
        backoffMs: 1000,
        maxBatch: 1,
        readAhead: 32,
        maxRetries: 0,
        maxAgeMs: 0,
        retryAfter: false,
        mediaType: '',
      },
    },
    tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
    logger,
  });
  const started = performance.now();
  await worker.start();
  for (;;) {
    const stats = await readEndpointStats(admin, 'bench', endpoint.name);
    if (stats.pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rate = n / ((performance.now() - started) / 1000);
  await worker.close();
  await connection.quit();
  const stats = await readEndpointStats(admin, 'bench', endpoint.name);
  if (stats.successes !== n) throw new Error(`${endpoint.name}: ${stats.successes} of ${n}`);
  return rate;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-bench-'));
  const redis = await startEmbeddedRedis({ dataDir, port: 0, logger });
  const receiver = await startServerChild('receiver.js', ['--delay-ms=20']);
  const url = `${receiver.url}/events`;
  const admin = createRedisClient({ url: redis.url }, 'worker');
  try {
    await waitReady(admin);
    await fill(admin, 'strict20', N_STRICT);
    const strict = await drain(
      redis.url,
      admin,
      { name: 'strict20', url, ordering: 'strict', concurrency: 1 },
      N_STRICT,
    );
    console.log(`(a) strict order, receiver answering after 20 ms: ${strict.toFixed(0)} events/s`);
    await fill(admin, 'repo20', N_REPO);
    await admin.call('CONFIG', 'RESETSTAT');
    const repository = await drain(
      redis.url,
      admin,
      { name: 'repo20', url, ordering: 'repository', concurrency: 16 },
      N_REPO,
    );
    console.log(
      `(b) ordering: repository, concurrency 16, ${REPOS} repositories: ${repository.toFixed(0)} events/s = ${(repository / strict).toFixed(1)} x (a) (target >= 10)`,
    );
    // Redis's own time per take (+ finish) script of (b): the walk over `wait` in Lua.
    const info = (await admin.call('INFO', 'commandstats')) as string;
    const takeUs = Number(/cmdstat_evalsha:.*usec_per_call=([\d.]+)/.exec(info)?.[1]);
    console.log(`    Redis time per take script of (b): ${takeUs.toFixed(0)} us`);
    printResult({ strict, repository, takeUs });
  } finally {
    await admin.quit();
    await receiver.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
