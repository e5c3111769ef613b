/**
 * Keep-up benchmark (issue 10, target 3): the delivery worker's CPU time per delivered event
 * when it keeps up — events arrive one at a time, slower than it can deliver, so the backlog
 * stays near zero — against its CPU time per event when it drains a backlog. The worker runs in
 * its own process (bench/worker-proc.ts), the receiver in another (bench/receiver.ts); Redis is
 * a private redis-server with AOF. Prints µs of worker CPU per event in both modes and the ratio,
 * and for reference the same ratio for a plain undici POST loop (paced / back to back).
 * Run: npm run build && node dist/bench/keepup.js [--events=1500] [--rate=300] [--backlog=5000]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { encodeEvent, envelopeBody } from '../src/events/encode.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import type { RedisClient } from '../src/queue/connection.js';
import { DurableSink } from '../src/queue/producer.js';
import { readEndpointStats } from '../src/queue/stats.js';
import { makeEvent } from '../test/fixtures/sample-event.js';
import {
  benchDir,
  cpuSeconds,
  numberArg,
  pause,
  pollUntil,
  printResult,
  profileArgs,
  startServerChild,
  stop,
} from './procs.js';

const KEEP_EVENTS = numberArg('events', 1500);
const RATE = numberArg('rate', 300);
const BACKLOG = numberArg('backlog', 5000);
const prefix = 'bench';

/** A worker process for endpoint `name`, connected and waiting for the go. */
async function workerProcess(redisUrl: string, name: string, url: string): Promise<ChildProcess> {
  const spec = JSON.stringify({ redisUrl, prefix, name, url });
  const child = spawn(
    process.execPath,
    [...profileArgs(), path.join(benchDir, 'worker-proc.js'), spec],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('READY')) resolve();
    });
    child.once('exit', () => reject(new Error('worker process exited')));
  });
  return child;
}

/** Worker CPU µs per event while `produce` runs and until `n` events of `name` are delivered. */
async function cpuPerEvent(
  admin: RedisClient,
  redisUrl: string,
  name: string,
  url: string,
  n: number,
  produce: () => Promise<void>,
): Promise<number> {
  const worker = await workerProcess(redisUrl, name, url);
  try {
    const cpu0 = cpuSeconds(worker.pid);
    worker.stdin?.write('go\n');
    await produce();
    await pollUntil(
      async () => (await readEndpointStats(admin, prefix, name)).successes >= n,
      `${n} events delivered`,
    );
    return ((cpuSeconds(worker.pid) - cpu0) * 1e6) / n;
  } finally {
    await stop(worker);
  }
}

/** This process's CPU µs per one-event POST of a plain undici loop, `rate`/s (0: at once). */
async function rawPostCpuUs(url: string, n: number, rate: number): Promise<number> {
  const agent = new Agent();
  const body = envelopeBody([encodeEvent(makeEvent(0, 'raw'))]);
  const post = async (): Promise<void> => {
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body,
    });
    await res.body.dump();
  };
  for (let i = 0; i < 200; i++) await post(); // warm-up
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const ahead = rate > 0 ? started + (i * 1000) / rate - performance.now() : 0;
    if (ahead > 0) await pause(ahead); // pacing the load, not synchronisation
    await post();
  }
  const { user, system } = process.cpuUsage(cpu0);
  await agent.close();
  return (user + system) / n;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-kbench-'));
  const redis = await startEmbeddedRedis({
    dataDir: dir,
    port: 0,
    logger: pino({ level: 'error' }),
  });
  const receiver = await startServerChild('receiver.js');
  const url = `${receiver.url}/events`;
  const admin = createRedisClient({ url: redis.url }, 'worker');
  const producer = createRedisClient({ url: redis.url }, 'producer');
  try {
    await Promise.all([waitReady(admin), waitReady(producer)]);
    console.log(`machine: ${os.cpus().length} cores, node ${process.version}`);

    const backlogSink = new DurableSink({
      client: producer,
      prefix,
      endpoints: [{ name: 'backlog' }],
    });
    for (let i = 0; i < BACKLOG; i += 1000) {
      const n = Math.min(1000, BACKLOG - i);
      await backlogSink.writeMany(Array.from({ length: n }, (_, j) => makeEvent(i + j, 'bl')));
    }
    const backlog = await cpuPerEvent(admin, redis.url, 'backlog', url, BACKLOG, async () => {});
    console.log(
      `draining a ${BACKLOG}-event backlog: ${backlog.toFixed(0)} us of worker CPU per event`,
    );

    const sink = new DurableSink({ client: producer, prefix, endpoints: [{ name: 'keep' }] });
    let maxPending = 0;
    const keep = await cpuPerEvent(admin, redis.url, 'keep', url, KEEP_EVENTS, async () => {
      const started = performance.now();
      for (let i = 0; i < KEEP_EVENTS; i++) {
        const due = started + (i * 1000) / RATE;
        const ahead = due - performance.now();
        if (ahead > 0) await pause(ahead); // pacing the load, not synchronisation
        await sink.write(makeEvent(i, 'keep'));
        if (i % 50 === 0) {
          const { pending } = await readEndpointStats(admin, prefix, 'keep');
          maxPending = Math.max(maxPending, pending);
        }
      }
    });
    console.log(
      `keeping up with ${RATE} events/s (backlog at most ${maxPending}): ${keep.toFixed(0)} us per event = ${(keep / backlog).toFixed(2)} x backlog`,
    );
    // The floor under target 3: what pacing alone costs a plain undici POST loop on this
    // machine (each POST then starts from an idle process, as a worker's that keeps up does).
    const fast = await rawPostCpuUs(url, 3 * KEEP_EVENTS, 0);
    const paced = await rawPostCpuUs(url, KEEP_EVENTS, RATE);
    console.log(
      `(reference) a plain undici POST loop in this process: ${fast.toFixed(0)} us CPU per POST back to back, ${paced.toFixed(0)} us paced at ${RATE}/s = ${(paced / fast).toFixed(2)} x`,
    );
    printResult({
      keepUpCpuUs: keep,
      backlogCpuUs: backlog,
      keepUpMaxPending: maxPending,
      rawFastCpuUs: fast,
      rawPacedCpuUs: paced,
    });
  } finally {
    await producer.quit();
    await admin.quit();
    await receiver.stop();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
