/**
 * Ingest benchmark (issue 4). In one run on this machine, 16 concurrent senders (undici,
 * keep-alive) POST real-sized envelopes (one ~1 KB event each, unique ids) to:
 *   (a) a bare node:http server that reads and JSON.parses the body (bench/bare-server.ts);
 *   (b) regnotify's ingest — the real `regnotify ingest` process, storing every event in a
 *       private redis-server (AOF everysec) for 2 endpoints, then for 1.
 * Prints requests/s, p50/p99 latency, and (b) as a ratio to (a). Run: npm run bench:ingest
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { freePort } from '../src/embedded/net.js';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { encodeEnvelope } from '../src/events/encode.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { makeEvent } from '../test/fixtures/sample-event.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SENDERS = 16;
const SECONDS = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 6);

interface Result {
  requests: number;
  rate: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (user + system) per request, µs; NaN off Linux. */
  cpuPerRequest: number;
}

/**
 * A process's CPU seconds so far (user + system, from /proc). This VM's throughput varies
 * ±30% from run to run (noisy neighbours); CPU per request is the steadier figure.
 */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the `(comm)`, which may contain spaces: utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
  } catch {
    return NaN;
  }
}

let serial = 0;
/** Envelopes with unique event ids, so regnotify stores every one (no dedupe). */
const nextBody = (): string => encodeEnvelope([makeEvent(serial++, `in${process.pid}`)]);

async function load(url: string, seconds: number, serverPid?: number): Promise<Result> {
  const agent = new Agent({ connections: SENDERS, pipelining: 1 });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpu0 = cpuSeconds(serverPid);
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (performance.now() < deadline) {
        const body = nextBody();
        const t0 = performance.now();
        const res = await request(url, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
          body,
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`${url}: status ${res.statusCode}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(serverPid) - cpu0;
  await agent.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    rate: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    cpuPerRequest: (cpu * 1e6) / latencies.length,
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; fails if `child` exits. */
async function waitListening(child: ChildProcess, port: number, what: string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `${what} exited (${code ?? signal})`));
  const deadline = performance.now() + 20_000;
  while (exited === undefined) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`${what}: not listening after 20 s`);
    await new Promise((r) => setTimeout(r, 50)); // poll interval, bounded by the deadline
  }
  throw new Error(exited);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const row = (label: string, r: Result, base?: Result) =>
  `${label.padEnd(44)} ${r.rate.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99
    .toFixed(2)
    .padStart(6)} ms  cpu ${r.cpuPerRequest.toFixed(0).padStart(4)} us/req${
    base ? `  = ${(r.rate / base.rate).toFixed(2)} x bare` : ''
  }`;

async function ingestRun(redisUrl: string, dir: string, endpoints: number): Promise<Result> {
  const port = await freePort();
  const names = Array.from({ length: endpoints }, (_, i) => `bench${endpoints}-${i}`);
  const config = path.join(dir, `ingest-${endpoints}.yml`);
  await writeFile(
    config,
    [
      `redis: { url: '${redisUrl}' }`,
      `ingest: { addr: '127.0.0.1:${port}' }`,
      `logging: { level: warn }`,
      'notifications:',
      '  endpoints:',
      ...names.map((n) => `    - { name: ${n}, url: 'http://127.0.0.1:9/unused' }`),
      '',
    ].join('\n'),
  );
  const cli = path.join(here, '..', 'workers', 'regnotify.js');
  // --profile=DIR writes a CPU profile of the ingest process (node --cpu-prof) into DIR.
  const profile = process.argv.find((a) => a.startsWith('--profile='))?.slice(10);
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  // stderr is inherited: at level warn, anything the service prints is worth seeing.
  const ingest = spawn(process.execPath, [...nodeArgs, cli, 'ingest', '--config', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitListening(ingest, port, 'regnotify ingest');
  try {
    const url = `http://127.0.0.1:${port}/events`;
    await load(url, 1); // warm-up
    const before = serial;
    const check = createRedisClient({ url: redisUrl }, 'producer');
    await waitReady(check);
    const stored0 = await Promise.all(names.map((n) => check.llen(`regnotify:{ep-${n}}:wait`)));
    const result = await load(url, SECONDS, ingest.pid);
    const stored1 = await Promise.all(names.map((n) => check.llen(`regnotify:{ep-${n}}:wait`)));
    check.disconnect();
    const sent = serial - before;
    stored1.forEach((n, i) => {
      if (n - stored0[i]! !== sent)
        throw new Error(`${names[i]}: ${n - stored0[i]!} stored of ${sent} sent`);
    });
    return result;
  } finally {
    await stop(ingest);
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-ibench-'));
  const redis = await startEmbeddedRedis({
    dataDir: path.join(dir, 'redis'),
    port: 0,
    logger: pino({ level: 'error' }),
  });
  try {
    console.log(
      `machine: ${os.cpus().length} cores, node ${process.version}; ${SENDERS} senders, ${SECONDS} s per run; envelope ${nextBody().length} B`,
    );
    const bare = await (async () => {
      const child = spawn(process.execPath, [path.join(here, 'bare-server.js')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const port = await new Promise<number>((resolve) =>
        child.stdout.on('data', (d: Buffer) => {
          const m = /PORT (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        }),
      );
      try {
        await load(`http://127.0.0.1:${port}/events`, 1);
        return await load(`http://127.0.0.1:${port}/events`, SECONDS, child.pid);
      } finally {
        await stop(child);
      }
    })();
    console.log(row('(a) bare node:http (read + JSON.parse)', bare));
    const two = await ingestRun(redis.url, dir, 2);
    console.log(row('(b) regnotify ingest, 2 endpoints', two, bare));
    const one = await ingestRun(redis.url, dir, 1);
    console.log(row('(b) regnotify ingest, 1 endpoint', one, bare));
    console.log('targets: >= 0.3 x bare, p99 < 20 ms');
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
