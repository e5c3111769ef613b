/**
 * Ingest benchmark (issues 4 and 10, target 2). In one run on this machine, senders (undici,
 * keep-alive) POST real-sized envelopes (one ~1 KB event each, unique ids) to:
 *   (a) a bare node:http server that reads and JSON.parses the body (bench/bare-server.ts);
 *   (b) regnotify's ingest — the real `regnotify ingest` process, storing every event in a
 *       private redis-server (AOF everysec) for 1 endpoint (and 2, with 16 senders);
 * first from one sequential sender (what the registry does), then from 16 concurrent ones.
 * Prints requests/s, p50/p99 latency, the server's CPU per request, and (b) as a ratio to (a).
 * Run: npm run bench:ingest [--seconds=4] [--profile=DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { freePort } from '../src/embedded/net.js';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { encodeEnvelope } from '../src/events/encode.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { makeEvent } from '../test/fixtures/sample-event.js';
import {
  benchDir,
  cpuSeconds,
  numberArg,
  printResult,
  profileArgs,
  startServerChild,
  stop,
  waitListening,
} from './procs.js';

const SECONDS = numberArg('seconds', 4);

interface Result {
  requests: number;
  rate: number;
  p50: number;
  p99: number;
  /** The server process's CPU time (user + system) per request, µs; NaN off Linux. */
  cpuPerRequest: number;
}

let serial = 0;
/** Envelopes with unique event ids, so regnotify stores every one (no dedupe). */
const nextBody = (): string => encodeEnvelope([makeEvent(serial++, `in${process.pid}`)]);

async function load(
  url: string,
  senders: number,
  seconds: number,
  serverPid?: number,
): Promise<Result> {
  const agent = new Agent({ connections: senders, pipelining: 1 });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const cpu0 = cpuSeconds(serverPid);
  await Promise.all(
    Array.from({ length: senders }, async () => {
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

const row = (label: string, r: Result, base?: Result) =>
  `${label.padEnd(44)} ${r.rate.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99
    .toFixed(2)
    .padStart(6)} ms  cpu ${r.cpuPerRequest.toFixed(0).padStart(4)} us/req${
    base ? `  = ${(r.rate / base.rate).toFixed(2)} x bare` : ''
  }`;

/** The real `regnotify ingest` process storing into `redisUrl` for `endpoints` endpoints. */
async function startIngest(
  redisUrl: string,
  dir: string,
  endpoints: number,
): Promise<{ url: string; pid: number; names: string[]; stop(): Promise<void> }> {
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
  const cli = path.join(benchDir, '..', 'workers', 'regnotify.js');
  // stderr is inherited: at level warn, anything the service prints is worth seeing.
  const ingest = spawn(process.execPath, [...profileArgs(), cli, 'ingest', '--config', config], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitListening(ingest, port, 'regnotify ingest');
  return {
    url: `http://127.0.0.1:${port}/events`,
    pid: ingest.pid ?? 0,
    names,
    stop: () => stop(ingest),
  };
}

/** A load on the ingest, checking afterwards that every event sent was stored. */
async function ingestLoad(
  redisUrl: string,
  ingest: { url: string; pid: number; names: string[] },
  senders: number,
): Promise<Result> {
  await load(ingest.url, senders, 1); // warm-up
  const before = serial;
  const check = createRedisClient({ url: redisUrl }, 'producer');
  await waitReady(check);
  const stored = () => Promise.all(ingest.names.map((n) => check.llen(`regnotify:{ep-${n}}:wait`)));
  const stored0 = await stored();
  const result = await load(ingest.url, senders, SECONDS, ingest.pid);
  const stored1 = await stored();
  check.disconnect();
  const sent = serial - before;
  stored1.forEach((n, i) => {
    if (n - stored0[i]! !== sent)
      throw new Error(`${ingest.names[i]}: ${n - stored0[i]!} stored of ${sent} sent`);
  });
  return result;
}

async function bareLoad(url: string, pid: number, senders: number): Promise<Result> {
  await load(url, senders, 1); // warm-up
  return load(url, senders, SECONDS, pid);
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
      `machine: ${os.cpus().length} cores, node ${process.version}; ${SECONDS} s per run; envelope ${nextBody().length} B`,
    );
    const bare = await startServerChild('bare-server.js');
    const bareUrl = `${bare.url}/events`;
    const bare1 = await bareLoad(bareUrl, bare.pid, 1);
    const bare16 = await bareLoad(bareUrl, bare.pid, 16);
    await bare.stop();
    const one = await startIngest(redis.url, dir, 1);
    const seq = await ingestLoad(redis.url, one, 1);
    const conc = await ingestLoad(redis.url, one, 16);
    await one.stop();
    const two = await startIngest(redis.url, dir, 2);
    const conc2 = await ingestLoad(redis.url, two, 16);
    await two.stop();
    console.log(row('(a) bare node:http, 1 sequential sender', bare1));
    console.log(row('(b) regnotify ingest, 1 endpoint, 1 sender', seq, bare1));
    console.log(row('(a) bare node:http, 16 senders', bare16));
    console.log(row('(b) regnotify ingest, 1 endpoint, 16 senders', conc, bare16));
    console.log(row('(b) regnotify ingest, 2 endpoints, 16 senders', conc2, bare16));
    console.log('targets: 1 sender >= 0.4 x bare and p99 < 1 ms; 16 senders >= 0.3 x bare');
    printResult({
      bareSeq: bare1.rate,
      ingestSeq: seq.rate,
      ingestSeqP99Ms: seq.p99,
      ingestSeqCpuUs: seq.cpuPerRequest,
      bare16: bare16.rate,
      ingest16: conc.rate,
      ingest16P99Ms: conc.p99,
      ingest16CpuUs: conc.cpuPerRequest,
      ingest16Two: conc2.rate,
    });
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
