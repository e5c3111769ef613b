/**
 * Delivery benchmark (issue 3). One run on this machine measures, against the same receiver
 * (a separate process on 127.0.0.1) and a private redis-server (AOF everysec, noeviction):
 *   (a) the raw ceiling: an undici POST loop, sequential and with 16 in flight;
 *   (b) regnotify, strict order, maxbatch 1 (one event per POST), draining a backlog;
 *   (c) strict order, maxbatch 100, draining a 50,000-event backlog;
 *   (d) Redis bytes per pending ~1 KB event.
 * Prints events/s and each rate as a ratio to (a). Run: npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { encodeEvent, envelopeBody } from '../src/events/encode.js';
import type { Event } from '../src/events/types.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import type { RedisClient } from '../src/queue/connection.js';
import { DurableSink } from '../src/queue/producer.js';
import { readEndpointStats } from '../src/queue/stats.js';
import { EndpointWorker } from '../src/queue/worker.js';
import { makeEvent } from '../test/fixtures/sample-event.js';

const args = new Map(
  process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
);
const N_RAW = Number(args.get('raw') ?? 5000);
const N_STRICT = Number(args.get('strict') ?? 10_000);
const N_BATCH = Number(args.get('batch') ?? 50_000);
const N_MEMORY = Number(args.get('memory') ?? 20_000);
const logger = pino({ level: 'warn' });

const event = (i: number): Event => makeEvent(i, 'bench');

async function startReceiver(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'receiver.js');
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const m = /PORT (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error('receiver exited')));
  });
  return {
    url: `http://127.0.0.1:${port}/events`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function rawLoop(url: string, n: number, inFlight: number): Promise<number> {
  const agent = new Agent({ connections: inFlight });
  const bodies = Array.from({ length: 64 }, (_, i) => envelopeBody([encodeEvent(event(i))]));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
          body: bodies[i % bodies.length]!,
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      }
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  await agent.close();
  return rate;
}

async function fill(client: RedisClient, name: string, n: number): Promise<void> {
  const sink = new DurableSink({ client, prefix: 'bench', endpoints: [{ name }] });
  for (let i = 0; i < n; i += 1000) {
    await sink.writeMany(Array.from({ length: Math.min(1000, n - i) }, (_, j) => event(i + j)));
  }
  await sink.close();
}

async function drain(
  redisUrl: string,
  admin: RedisClient,
  name: string,
  url: string,
  n: number,
  maxBatch: number,
): Promise<number> {
  const connection = createRedisClient({ url: redisUrl }, 'worker');
  const worker = new EndpointWorker({
    connection,
    prefix: 'bench',
    endpoint: {
      name,
      url,
      http: { timeoutMs: 5000 },
      policy: {
        threshold: 10,
        backoffMs: 1000,
        maxBatch,
        readAhead: Number(args.get('readahead') ?? 32),
        maxRetries: 0,
        maxAgeMs: 0,
        retryAfter: false,
        mediaType: '',
      },
      ordering: 'strict',
      concurrency: 1,
    },
    tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
    logger,
  });
  const started = performance.now();
  await worker.start();
  for (;;) {
    const stats = await readEndpointStats(admin, 'bench', name);
    if (stats.pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rate = n / ((performance.now() - started) / 1000);
  await worker.close();
  await connection.quit();
  const stats = await readEndpointStats(admin, 'bench', name);
  if (stats.successes !== n) throw new Error(`${name}: ${stats.successes} delivered of ${n}`);
  return rate;
}

async function usedMemory(client: RedisClient): Promise<number> {
  const info = (await client.call('INFO', 'memory')) as string;
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-bench-'));
  const redis = await startEmbeddedRedis({ dataDir, port: 0, logger });
  const receiver = await startReceiver();
  const admin = createRedisClient({ url: redis.url }, 'worker');
  const producer = createRedisClient({ url: redis.url }, 'producer');
  try {
    await Promise.all([waitReady(admin), waitReady(producer)]);
    const eventBytes = encodeEvent(event(1)).length;
    console.log(
      `machine: ${os.cpus().length} cores, node ${process.version}; event: ${eventBytes} B compact, envelope ${envelopeBody([encodeEvent(event(1))]).length} B`,
    );
    await rawLoop(receiver.url, 1000, 1); // warm-up
    const rawSeq = await rawLoop(receiver.url, N_RAW, 1);
    const raw16 = await rawLoop(receiver.url, N_RAW, 16);
    console.log(`(a) raw undici POST loop, sequential:   ${rawSeq.toFixed(0)} events/s`);
    console.log(`(a) raw undici POST loop, 16 in flight: ${raw16.toFixed(0)} events/s`);

    await fill(producer, 'strict', N_STRICT);
    const strict = await drain(redis.url, admin, 'strict', receiver.url, N_STRICT, 1);
    console.log(
      `(b) strict order, maxbatch 1, ${N_STRICT} backlog: ${strict.toFixed(0)} events/s = ${(strict / rawSeq).toFixed(2)} x raw sequential (target >= 0.5)`,
    );

    await fill(producer, 'batch', N_BATCH);
    const batch = await drain(redis.url, admin, 'batch', receiver.url, N_BATCH, 100);
    console.log(
      `(c) strict order, maxbatch 100, ${N_BATCH} backlog: ${batch.toFixed(0)} events/s = ${(batch / strict).toFixed(1)} x (b) (target >= 10), ${(batch / rawSeq).toFixed(1)} x raw sequential`,
    );

    const before = await usedMemory(admin);
    await fill(producer, 'memory', N_MEMORY);
    const after = await usedMemory(admin);
    const perEvent = (after - before) / N_MEMORY;
    console.log(
      `(d) Redis memory per pending event (${eventBytes} B event, ${N_MEMORY} events): ${perEvent.toFixed(0)} B (target <= 1536)`,
    );
  } finally {
    await producer.quit();
    await admin.quit();
    await receiver.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
