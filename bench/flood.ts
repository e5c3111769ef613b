/**
 * Flood benchmark (issue 7, item 4). Against the real `regnotify ingest` process of `--impl` (a
 * dist directory: this build by default, or an older one to compare) and a private redis-server,
 * all on 127.0.0.1, bounded to about a minute:
 *   0. the per-request heap factor (bench/heap-factor.ts, in a child with --expose-gc);
 *   Q. no flood: the prober alone (this machine's latency when quiet);
 *   A. 16 senders POST 1 MiB envelopes of 10,000 tiny events (the issue's flood);
 *   B. 40 senders POST 1 MiB envelopes of ~640 realistic events;
 *   C. 64 senders POST ~100 KB envelopes of 1,000 tiny events (the most events per request
 *      the ingest takes by default, at the most requests it takes at once).
 * During each, a prober sends one single-event POST and one GET /healthz after the other.
 * Prints per phase: answers by status, the ingest's peak RSS (VmHWM), single-event POST and
 * /healthz latency (p50/p99/max), and events answered 200 vs events stored in Redis.
 * Run: npm run build && node dist/bench/flood.js [--impl=DIR] [--seconds=8]
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { freePort } from '../src/embedded/net.js';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { readEndpointStats } from '../src/queue/stats.js';
import { floodBodies } from './flood-bodies.js';
import type { FloodBody } from './flood-bodies.js';
import { runFlood } from './flood-load.js';
import { waitListening } from './procs.js';
import type { PhaseResult } from './flood-load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const impl = path.resolve(arg('impl') ?? path.join(here, '..'));
const seconds = Number(arg('seconds') ?? 8);

/** VmHWM / VmRSS of a process, in MB. */
export function memoryOf(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function phase(
  redisUrl: string,
  dir: string,
  name: string,
  body: (i: number) => FloodBody,
  senders: number,
  phaseSeconds = seconds,
): Promise<PhaseResult & { rssMB: number; stored: number }> {
  const port = await freePort();
  const config = path.join(dir, `${name}.yml`);
  await writeFile(
    config,
    [
      `redis: { url: '${redisUrl}' }`,
      `ingest: { addr: '127.0.0.1:${port}' }`,
      'logging: { level: error }', // refusals are logged at warn: thousands of lines
      'notifications:',
      `  endpoints: [{ name: ${name}, url: 'http://127.0.0.1:9/unused' }]`,
      '',
    ].join('\n'),
  );
  const cli = path.join(impl, 'workers', 'regnotify.js');
  const ingest = spawn(process.execPath, [cli, 'ingest', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitListening(ingest, port, 'regnotify ingest');
    const result = await runFlood({
      url: `http://127.0.0.1:${port}`,
      senders,
      seconds: phaseSeconds,
      body,
      probe: floodBodies('sample', 'p', 1),
    });
    const rssMB = memoryOf(ingest.pid ?? 0, 'VmHWM');
    const client = createRedisClient({ url: redisUrl }, 'producer');
    await waitReady(client);
    const stored = (await readEndpointStats(client, 'regnotify', name)).pending;
    client.disconnect();
    return { ...result, rssMB, stored };
  } finally {
    const exited = new Promise((resolve) => ingest.once('exit', resolve));
    ingest.kill('SIGKILL'); // the drain is over; SIGTERM could wait on a stuck request
    await exited;
  }
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const lat = (xs: number[]) =>
  `p50 ${pct(xs, 0.5).toFixed(0)} ms, p99 ${pct(xs, 0.99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

function report(label: string, r: PhaseResult & { rssMB: number; stored: number }): void {
  console.log(`${label}`);
  console.log(`  flood answers: ${JSON.stringify(r.statuses)}   ingest peak RSS (VmHWM): ${r.rssMB.toFixed(0)} MB`);
  console.log(`  single-event POST: ${lat(r.probePost)}  statuses ${JSON.stringify(r.probeStatuses)}`);
  console.log(`  GET /healthz:      ${lat(r.probeHealth)}`);
  console.log(`  events answered 200: ${r.acceptedEvents}, stored in Redis: ${r.stored}${r.unfinished > 0 ? `, ${r.unfinished} requests still unanswered at the drain deadline` : ''}`);
} // prettier-ignore

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-flood-'));
  const redis = await startEmbeddedRedis({
    dataDir: path.join(dir, 'redis'),
    port: 0,
    logger: pino({ level: 'error' }),
  });
  try {
    console.log(
      `impl ${impl}; ${os.cpus().length} cores, node ${process.version}; ${seconds} s per phase`,
    );
    const heapFactor = (flags: string[], args: string[]) => {
      const run = spawnSync(
        process.execPath,
        [
          ...flags,
          path.join(here, 'heap-factor.js'),
          `--redis=${redis.url}`,
          `--impl=${impl}`,
          ...args,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (run.status !== 0) console.log(`heap-factor failed: ${run.stderr}`);
      return JSON.parse(run.stdout.trim() || '{}') as Record<string, number | string>;
    };
    for (const kind of ['tiny', 'sample']) {
      const p = heapFactor(
        ['--expose-gc', '--gc-interval=20000'],
        [`--kind=${kind}`, '--parse-peak'],
      );
      const h = heapFactor(['--expose-gc'], [`--kind=${kind}`]);
      console.log(
        `heap per body byte, ${kind} (${h['events']} events in ${h['bytes']} B): parse peak ${p['parsePeak']}x, parsed ${p['retained']}x; held by the ingest at the hand-off to the store ${h['handoff']}x; peak with the store's own ${h['peak']}x`,
      );
    }
    const none = () => ({ body: Buffer.alloc(0), events: 0 });
    const phases: [string, string, (i: number) => FloodBody, number, number?][] = [
      ['Q. no flood: the prober alone', 'q', none, 0, 3],
      ['A. 16 senders x 1 MiB of 10,000 tiny events', 'a', floodBodies('tiny', 'a'), 16],
      ['B. 40 senders x 1 MiB of ~640 sample events', 'b', floodBodies('sample', 'b'), 40],
      ['C. 64 senders x ~100 KB of 1,000 tiny events', 'c', floodBodies('tiny', 'c', 1000), 64],
    ];
    for (const [label, name, body, senders, secs] of phases) {
      report(label, await phase(redis.url, dir, name, body, senders, secs));
    }
  } finally {
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
