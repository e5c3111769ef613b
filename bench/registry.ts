/**
 * Registry benchmark (issue 10, target 1): does regnotify slow the registry down? The real
 * registry (distribution 2.8.2) sends one event per POST, one POST after the other, on a new
 * TCP connection each time; whatever the ingest adds to a POST, every event pays.
 *
 * One image is pushed with skopeo; then, per phase, the registry is (re)started notifying
 *   direct:  bench/receiver.ts itself, or
 *   relayed: a `regnotify start` (embedded Redis, AOF) that delivers to that receiver,
 * 16 clients fire N manifest GETs (each is one `pull` event), and the clock runs until the
 * receiver has counted every pull event. Two receivers: one that answers at once, and one that
 * answers after 1 ms. Prints events/s per phase and relayed/direct.
 * Run: npm run build && node dist/bench/registry.js [--pulls=5000] [--slow-pulls=2000] [--split]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { freePort } from '../src/embedded/net.js';
import { startEmbeddedRedis } from '../src/embedded/redis-server.js';
import { buildOciLayout, OciManifestMediaType } from '../test/helpers/oci-layout.js';
import type { Registry } from '../test/helpers/registry.js';
import {
  pushLayout,
  registryConfig,
  requireRegistryTools,
  startRegistry,
} from '../test/helpers/registry.js';
import {
  benchDir,
  numberArg,
  pollUntil,
  printResult,
  profileArgs,
  receiverCounts,
  startServerChild,
  stop,
  waitListening,
} from './procs.js';
import type { ServerChild } from './procs.js';

const CLIENTS = 16;
const quiet = pino({ level: 'error' });
const PULLS = numberArg('pulls', 5000);
const SLOW_PULLS = numberArg('slow-pulls', 2000);

/** 16 clients GET the manifest `pulls` times in all; resolves when the last answer is in. */
async function burst(registry: string, repo: string, pulls: number): Promise<void> {
  const agent = new Agent({ connections: CLIENTS });
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < pulls) {
        next += 1;
        const res = await request(`${registry}/v2/${repo}/manifests/v1`, {
          dispatcher: agent,
          headers: { accept: OciManifestMediaType },
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`GET manifest: status ${res.statusCode}`);
      }
    }),
  );
  await agent.close();
}

/** Points the registry's endpoint at `notifyUrl` (a restart, same storage and port). */
async function renotify(reg: Registry, notifyUrl: string): Promise<void> {
  const port = Number(new URL(reg.url).port);
  await writeFile(reg.configFile, registryConfig(reg.dir, port, { notifyUrl, logLevel: 'warn' }));
  await reg.restart();
}

/**
 * `regnotify start` with its own embedded Redis, delivering to `receiver`; with `--split`,
 * `regnotify ingest` and `regnotify work` as two processes on one redis-server instead.
 */
async function startRegnotify(
  dir: string,
  receiver: string,
): Promise<{ ingest: string; stop(): Promise<void> }> {
  const port = await freePort();
  const config = path.join(dir, 'regnotify.yml');
  const split = process.argv.includes('--split');
  const redis = split
    ? await startEmbeddedRedis({ dataDir: path.join(dir, 'redis'), port: 0, logger: quiet })
    : undefined;
  await writeFile(
    config,
    [
      redis
        ? `redis: { url: '${redis.url}' }`
        : `redis: { url: '', embedded: { dataDir: '${path.join(dir, 'redis')}', port: 0 } }`,
      `ingest: { addr: '127.0.0.1:${port}' }`,
      'logging: { level: warn }',
      'notifications:',
      '  endpoints:',
      `    - { name: bench, url: '${receiver}/events' }`,
      '',
    ].join('\n'),
  );
  const cli = path.join(benchDir, '..', 'workers', 'regnotify.js');
  const run = (command: string) =>
    spawn(process.execPath, [...profileArgs(), cli, command, '--config', config], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const children = split ? [run('ingest'), run('work')] : [run('start')];
  await waitListening(children[0]!, port, `regnotify ${split ? 'ingest' : 'start'}`);
  return {
    ingest: `http://127.0.0.1:${port}/events`,
    stop: async () => {
      await Promise.all(children.map((c) => stop(c)));
      await redis?.stop();
    },
  };
}

/** Events/s from the first GET until the receiver counted every pull of `repo`. */
async function drainRate(
  reg: Registry,
  rx: ServerChild,
  repo: string,
  pulls: number,
): Promise<number> {
  const before = (await receiverCounts(rx.url)).pulls[repo] ?? 0;
  const started = performance.now();
  await burst(reg.url, repo, pulls);
  const atEnd = ((await receiverCounts(rx.url)).pulls[repo] ?? 0) - before;
  console.log(`  burst ${(performance.now() - started).toFixed(0)} ms, ${atEnd} counted by then`);
  await pollUntil(
    async () => ((await receiverCounts(rx.url)).pulls[repo] ?? 0) - before >= pulls,
    `${pulls} pull events at the receiver`,
  );
  return pulls / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  requireRegistryTools();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'regnotify-rbench-'));
  const fast = await startServerChild('receiver.js');
  const slow = await startServerChild('receiver.js', ['--delay-ms=1']);
  let reg: Registry | undefined;
  try {
    reg = await startRegistry({ notifyUrl: `${fast.url}/events`, logLevel: 'warn' });
    const layout = await buildOciLayout(path.join(tmp, 'layout'), { seed: 'bench' });
    await pushLayout(reg, layout.dir, 'bench/app:v1');
    console.log(
      `machine: ${os.cpus().length} cores, node ${process.version}; registry 2.8.2, ${CLIENTS} clients`,
    );

    const figures: Record<string, number> = {};
    for (const [label, rx, pulls] of [
      ['fast', fast, PULLS],
      ['slow', slow, SLOW_PULLS],
    ] as const) {
      await renotify(reg, `${rx.url}/events`);
      await drainRate(reg, rx, 'bench/app', 50); // warm-up
      const direct = await drainRate(reg, rx, 'bench/app', pulls);
      const dir = await mkdtemp(path.join(tmp, 'relay-'));
      const relay = await startRegnotify(dir, rx.url);
      try {
        await renotify(reg, relay.ingest);
        await drainRate(reg, rx, 'bench/app', 50); // warm-up
        const relayed = await drainRate(reg, rx, 'bench/app', pulls);
        const what = label === 'fast' ? 'receiver answers at once' : 'receiver answers after 1 ms';
        console.log(
          `${pulls} pulls, ${what}: direct ${direct.toFixed(0)} ev/s, through regnotify ${relayed.toFixed(0)} ev/s = ${(relayed / direct).toFixed(2)} x direct`,
        );
        figures[`${label}Direct`] = direct;
        figures[`${label}Relayed`] = relayed;
      } finally {
        await relay.stop();
      }
    }
    printResult(figures);
  } finally {
    await reg?.destroy();
    await fast.stop();
    await slow.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

await main();
