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
import { readFileSync, readdirSync } from 'node:fs';
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

/**
 * A process's context switches so far (Linux /proc): the main thread's voluntary ones — about
 * one per sleep in epoll, so per event the wake-ups it paid — and those of its other threads
 * (V8's compiler and GC helpers, libuv's pool), whose wake-ups are paid too. 0 elsewhere.
 */
function switches(pid: number | undefined): { main: number; others: number } {
  const count = (task: string): number => {
    try {
      const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      const field = (name: string): number =>
        Number(new RegExp(`${name}:\\s*(\\d+)`).exec(status)?.[1] ?? 0);
      return (
        field('voluntary_ctxt_switches') +
        (task === String(pid) ? 0 : field('nonvoluntary_ctxt_switches'))
      );
    } catch {
      return 0;
    }
  };
  let others = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`))
      if (task !== String(pid)) others += count(task);
  } catch {
    // not Linux
  }
  return { main: count(String(pid)), others };
}

/** A process's user and system CPU seconds so far (Linux /proc; NaN elsewhere). */
function cpuSplit(pid: number | undefined): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / TICKS, system: Number(f[12]) / TICKS };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/** Clock ticks per second of /proc's times: 100 on every Linux this runs on. */
const TICKS = 100;

interface PerEvent {
  /** Worker CPU µs per event. */
  cpuUs: number;
  /** Of which in the kernel (system time). */
  systemUs: number;
  /** The main thread's voluntary context switches (sleeps) per event. */
  mainWakes: number;
  /** Its other threads' context switches per event. */
  threadWakes: number;
}

/** Worker CPU µs per event while `produce` runs and until `n` events of `name` are delivered. */
async function cpuPerEvent(
  admin: RedisClient,
  redisUrl: string,
  name: string,
  url: string,
  n: number,
  produce: () => Promise<void>,
): Promise<PerEvent> {
  const worker = await workerProcess(redisUrl, name, url);
  try {
    const cpu0 = cpuSeconds(worker.pid);
    const s0 = switches(worker.pid);
    const split0 = cpuSplit(worker.pid);
    worker.stdin?.write('go\n');
    await produce();
    await pollUntil(
      async () => (await readEndpointStats(admin, prefix, name)).successes >= n,
      `${n} events delivered`,
    );
    const s1 = switches(worker.pid);
    return {
      cpuUs: ((cpuSeconds(worker.pid) - cpu0) * 1e6) / n,
      systemUs: ((cpuSplit(worker.pid).system - split0.system) * 1e6) / n,
      mainWakes: (s1.main - s0.main) / n,
      threadWakes: (s1.others - s0.others) / n,
    };
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

function wakes(e: PerEvent): string {
  return `; per event, ${e.systemUs.toFixed(0)} us of it system time, ${e.mainWakes.toFixed(2)} sleeps of its main thread, ${e.threadWakes.toFixed(2)} switches of its other threads`;
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
    const drained = await cpuPerEvent(admin, redis.url, 'backlog', url, BACKLOG, async () => {});
    const backlog = drained.cpuUs;
    console.log(
      `draining a ${BACKLOG}-event backlog: ${backlog.toFixed(0)} us of worker CPU per event${wakes(drained)}`,
    );

    const sink = new DurableSink({ client: producer, prefix, endpoints: [{ name: 'keep' }] });
    let maxPending = 0;
    const kept = await cpuPerEvent(admin, redis.url, 'keep', url, KEEP_EVENTS, async () => {
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
    const keep = kept.cpuUs;
    console.log(
      `keeping up with ${RATE} events/s (backlog at most ${maxPending}): ${keep.toFixed(0)} us per event = ${(keep / backlog).toFixed(2)} x backlog${wakes(kept)}`,
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
      keepUpSystemUs: kept.systemUs,
      backlogSystemUs: drained.systemUs,
      keepUpMainWakes: kept.mainWakes,
      keepUpThreadWakes: kept.threadWakes,
      backlogMainWakes: drained.mainWakes,
      backlogThreadWakes: drained.threadWakes,
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
