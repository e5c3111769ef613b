/**
 * Delivery benchmark (issues 3 and 10, targets 4–6). One run on this machine measures, against
 * the same receiver (bench/receiver.ts: a separate process on 127.0.0.1 that parses every body)
 * and a private redis-server (AOF everysec, noeviction):
 *   (a) the raw ceiling: an undici POST loop of one-event envelopes, sequential and with 16 in
 *       flight; and a sequential loop of 100-event envelopes, each body built per POST;
 *   (b) regnotify, strict order, maxbatch 1 (one event per POST), draining a backlog;
 *   (c) strict order, maxbatch 100, draining a 60,000-event backlog in three rounds, each after
 *       a raw 100-event loop (the pair with the median ratio counts: see batchRounds);
 *   (d) Redis bytes per pending ~1 KB event (each in the dedupe window), with the settings
 *       regnotify applies to its embedded Redis and with Redis's stock hash-max-listpack-value.
 * Prints events/s and each rate as a ratio to (a). Run: npm run build && node dist/bench/delivery.js
 * [--only=raw,strict,batch,memory] (one part, e.g. `--only=batch` with its raw loop, to
 * profile or to compare builds; the table of bench/run.ts needs them all).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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
import { printResult, startServerChild } from './procs.js';

const args = new Map(
  process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]),
);
const N_RAW = Number(args.get('raw') ?? 5000);
const N_STRICT = Number(args.get('strict') ?? 10_000);
const N_BATCH = Number(args.get('batch') ?? 60_000);
const ROUNDS = Number(args.get('rounds') ?? 3);
// At most the dedupe window's size (10,000 ids by default), so every pending event has its entry.
const N_MEMORY = Number(args.get('memory') ?? 10_000);
const logger = pino({ level: 'error' });
const parts = new Set((args.get('only') ?? 'raw,strict,batch,memory').split(','));
/** `strict` needs the raw one-event loop it is compared to (`batch` runs its own raw loops). */
const runs = (part: string): boolean => parts.has(part) || (part === 'raw1' && parts.has('strict'));

const event = (i: number): Event => makeEvent(i, 'bench');

/** This process's CPU µs per event in the last rawLoop or drain (the receiver has its own). */
let cpuPerEvent = NaN;
const cpuUs = (since: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(since);
  return user + system;
};
/** Redis's CPU µs per event in the last drain (INFO cpu: the whole process, AOF included). */
let redisCpuPerEvent = NaN;
const cpuNote = (): string =>
  ` (${cpuPerEvent.toFixed(0)} us CPU per event${Number.isNaN(redisCpuPerEvent) ? '' : `, Redis ${redisCpuPerEvent.toFixed(0)} us`})`;

async function redisCpuUs(client: RedisClient): Promise<number> {
  const info = (await client.call('INFO', 'cpu')) as string;
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1]);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

/**
 * Events/s of a plain undici POST loop: `inFlight` loops, envelopes of `perPost` events. With
 * one event per envelope the bodies are made beforehand; with more, each body is built per
 * POST from the events' compact texts, as delivery has to.
 */
async function rawLoop(url: string, n: number, inFlight: number, perPost = 1): Promise<number> {
  const agent = new Agent({ connections: inFlight });
  const raws = Array.from({ length: Math.max(64, perPost) }, (_, i) => encodeEvent(event(i)));
  const bodies = raws.map((raw) => envelopeBody([raw]));
  const body = (i: number): string =>
    perPost === 1 ? bodies[i % bodies.length]! : envelopeBody(raws.slice(0, perPost));
  let next = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next;
        next += perPost;
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
          body: body(i),
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      }
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  cpuPerEvent = cpuUs(cpu0) / n;
  redisCpuPerEvent = NaN;
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
        // Each attempt kept in the endpoint's history, as regnotify does by default
        // (console.historyMaxAttempts); --history=0 measures without it.
        history: { maxAttempts: Number(args.get('history') ?? 10_000), maxAgeMs: 604_800_000 },
      },
      ordering: 'strict',
      concurrency: 1,
    },
    tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
    logger,
  });
  const redis0 = await redisCpuUs(admin);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  await worker.start();
  for (;;) {
    const stats = await readEndpointStats(admin, 'bench', name);
    if (stats.pending === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const rate = n / ((performance.now() - started) / 1000);
  cpuPerEvent = cpuUs(cpu0) / n;
  redisCpuPerEvent = ((await redisCpuUs(admin)) - redis0) / n;
  await worker.close();
  await connection.quit();
  const stats = await readEndpointStats(admin, 'bench', name);
  if (stats.successes !== n) throw new Error(`${name}: ${stats.successes} delivered of ${n}`);
  return rate;
}

/**
 * Target 5 in ROUNDS pairs taken back to back — the raw 100-event loop, then a drain of
 * N_BATCH / ROUNDS events — and the pair whose ratio is the median: on a shared VM whose speed
 * changes within minutes a single pair (one long raw loop, minutes later one long drain)
 * compares two different machines. Each pair is printed.
 */
async function batchRounds(
  redisUrl: string,
  admin: RedisClient,
  producer: RedisClient,
  url: string,
): Promise<{ raw100: number; batch: number }> {
  const pairs: { raw100: number; batch: number }[] = [];
  const n = Math.ceil(N_BATCH / ROUNDS);
  for (let round = 1; round <= ROUNDS; round++) {
    const name = `batch-${round}`;
    await fill(producer, name, n);
    const raw100 = await rawLoop(url, Math.ceil((N_RAW * 10) / ROUNDS), 1, 100);
    const rawNote = cpuNote();
    const batch = await drain(redisUrl, admin, name, url, n, 100);
    console.log(
      `(c) round ${round}: raw 100-event loop ${raw100.toFixed(0)} events/s${rawNote}; maxbatch 100, ${n} backlog: ${batch.toFixed(0)} events/s${cpuNote()} = ${(batch / raw100).toFixed(2)} x`,
    );
    pairs.push({ raw100, batch });
  }
  pairs.sort((a, b) => a.batch / a.raw100 - b.batch / b.raw100);
  return pairs[(pairs.length - 1) >> 1]!;
}

async function usedMemory(client: RedisClient): Promise<number> {
  const info = (await client.call('INFO', 'memory')) as string;
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** Redis bytes per pending event: `n` events stored for a fresh endpoint. */
async function memoryPerEvent(
  admin: RedisClient,
  producer: RedisClient,
  name: string,
): Promise<number> {
  const before = await usedMemory(admin);
  await fill(producer, name, N_MEMORY);
  return ((await usedMemory(admin)) - before) / N_MEMORY;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-bench-'));
  const redis = await startEmbeddedRedis({ dataDir, port: 0, logger });
  const receiver = await startServerChild('receiver.js');
  const url = `${receiver.url}/events`;
  const admin = createRedisClient({ url: redis.url }, 'worker');
  const producer = createRedisClient({ url: redis.url }, 'producer');
  try {
    await Promise.all([waitReady(admin), waitReady(producer)]);
    const eventBytes = encodeEvent(event(1)).length;
    console.log(
      `machine: ${os.cpus().length} cores, node ${process.version}; event: ${eventBytes} B compact, envelope ${envelopeBody([encodeEvent(event(1))]).length} B`,
    );
    const figures: Record<string, number> = {};
    await rawLoop(url, 1000, 1); // warm-up
    if (runs('raw') || runs('raw1')) {
      figures.rawSeq = await rawLoop(url, N_RAW, 1);
      console.log(
        `(a) raw undici POST loop, sequential:   ${figures.rawSeq.toFixed(0)} events/s${cpuNote()}`,
      );
    }
    if (runs('raw')) {
      figures.raw16 = await rawLoop(url, N_RAW, 16);
      console.log(`(a) raw undici POST loop, 16 in flight: ${figures.raw16.toFixed(0)} events/s`);
    }
    if (runs('raw') && !runs('batch')) {
      figures.raw100 = await rawLoop(url, N_RAW * 10, 1, 100);
      console.log(
        `(a) raw sequential loop, 100-event envelopes built per POST: ${figures.raw100.toFixed(0)} events/s${cpuNote()}`,
      );
    }
    const { rawSeq = NaN } = figures;

    let strict = NaN;
    if (runs('strict')) {
      await fill(producer, 'strict', N_STRICT);
      strict = figures.strict = await drain(redis.url, admin, 'strict', url, N_STRICT, 1);
      console.log(
        `(b) strict order, maxbatch 1, ${N_STRICT} backlog: ${strict.toFixed(0)} events/s = ${(strict / rawSeq).toFixed(2)} x raw sequential (target >= 0.7)${cpuNote()}`,
      );
    }

    if (runs('batch')) {
      const { raw100, batch } = await batchRounds(redis.url, admin, producer, url);
      figures.raw100 = raw100;
      figures.batch = batch;
      console.log(
        `(c) strict order, maxbatch 100, the median pair: ${batch.toFixed(0)} events/s = ${(batch / raw100).toFixed(2)} x the raw 100-event loop's ${raw100.toFixed(0)} (target >= 0.5), ${(batch / strict).toFixed(1)} x (b)`,
      );
    }

    if (runs('memory')) {
      // The embedded Redis runs with hash-max-listpack-value 2048 (what regnotify recommends).
      const recommended = (figures.memory = await memoryPerEvent(admin, producer, 'memory'));
      const listpack = (await admin.call('CONFIG', 'GET', 'hash-max-listpack-value')) as string[];
      await admin.call('CONFIG', 'SET', 'hash-max-listpack-value', '64'); // Redis's default
      const stock = (figures.memoryStock = await memoryPerEvent(admin, producer, 'memory-stock'));
      await admin.call('CONFIG', 'SET', 'hash-max-listpack-value', listpack[1] ?? '2048');
      console.log(
        `(d) Redis memory per pending event (${eventBytes} B event, ${N_MEMORY} events, each in the dedupe window): ${recommended.toFixed(0)} B with hash-max-listpack-value ${listpack[1]} (target <= 1200), ${stock.toFixed(0)} B with 64, Redis's default (target <= 1500)`,
      );
    }
    printResult(figures);
  } finally {
    await producer.quit();
    await admin.quit();
    await receiver.stop();
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
