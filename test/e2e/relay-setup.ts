/**
 * The pieces of the end-to-end setup: a redis-server, two receivers (R: where regnotify
 * delivers; D: the registry's own second endpoint), regnotify processes started from dist/, and
 * a registry notifying both regnotify's ingest and D with the same endpoint settings.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EndpointStats } from '../../src/queue/stats.js';
import type { Child } from '../helpers/processes.js';
import { cli, spawnNode } from '../helpers/processes.js';
import type { Receiver, RecordedRequest } from '../helpers/receiver.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import type { Registry } from '../helpers/registry.js';
import { startRegistry } from '../helpers/registry.js';

export { cli };

export const ingestToken = 'e2e-ingest-token';
/** What both the registry (for D) and regnotify (for R) send with every notification. */
export const endpointHeaders = { Authorization: ['Bearer s3cret'] };
/** Same delivery settings on both paths, so R and D are treated alike. */
const delivery = { timeout: '1s', threshold: 3, backoff: '500ms' };

export type AddCleanup = (...fns: (() => Promise<unknown>)[]) => void;

export interface Setup {
  tmp: string;
  config: string;
  /** http://127.0.0.1:P — regnotify's ingest listener, which also serves /metrics. */
  ingestBase: string;
  /** R: regnotify delivers here. */
  relayed: Receiver;
  /** D: the registry's own second endpoint — what the registry sends, directly. */
  direct: Receiver;
}

export async function setUp(cleanup: AddCleanup): Promise<Setup> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'regnotify-e2e-'));
  cleanup(() => rm(tmp, { recursive: true, force: true }));
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const relayed = await startReceiver();
  const direct = await startReceiver();
  cleanup(
    () => relayed.close(),
    () => direct.close(),
  );
  const port = await freePort();
  const config = path.join(tmp, 'regnotify.yml');
  // Short lock/stall times so a job held by a SIGKILLed worker is taken over within seconds.
  await writeFile(
    config,
    `redis:
  url: ${redis.url}
ingest:
  addr: 127.0.0.1:${port}
  path: /events
  auth:
    token: ${ingestToken}
workers:
  lockDurationMs: 2000
  stalledIntervalMs: 1000
logging:
  level: info
notifications:
  endpoints:
    - name: hooks
      url: ${relayed.url}
      headers:
        Authorization: [${endpointHeaders.Authorization[0]}]
      timeout: ${delivery.timeout}
      threshold: ${delivery.threshold}
      backoff: ${delivery.backoff}
`,
  );
  return { tmp, config, ingestBase: `http://127.0.0.1:${port}`, relayed, direct };
}

/** The registry, notifying regnotify's ingest (endpoint 0) and D (endpoint 1). */
export async function registryFor(s: Setup, cleanup: AddCleanup): Promise<Registry> {
  const reg = await startRegistry({
    notifyUrl: `${s.ingestBase}/events`,
    headers: { Authorization: [`Bearer ${ingestToken}`] },
    ...delivery,
    includeReferences: true,
    extraEndpoints: [{ name: 'direct', url: s.direct.url, headers: endpointHeaders, ...delivery }],
  });
  cleanup(() => reg.destroy());
  return reg;
}

/** Starts `regnotify <command>` from dist/ and waits until it says it is serving. */
export async function regnotify(
  s: Setup,
  command: 'start' | 'ingest' | 'work',
  cleanup: AddCleanup,
): Promise<Child> {
  const proc = spawnNode(cli, [command, '--config', s.config]);
  cleanup(async () => {
    proc.kill('SIGTERM');
    await proc.exited;
  });
  await proc.waitForLine(
    command === 'work' ? /delivery workers started/ : /ingest listening/,
    20_000,
  );
  return proc;
}

/** `regnotify stats --json`, as an operator would run it. */
export async function statsViaCli(s: Setup, endpoint: string): Promise<EndpointStats> {
  const proc = spawnNode(cli, ['stats', '--json', '--config', s.config]);
  const exit = await Promise.race([
    proc.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('regnotify stats took over 10 s')), 10_000).unref(),
    ),
  ]);
  if (exit.code !== 0) throw new Error(`regnotify stats exited ${exit.code}: ${proc.stderr}`);
  const all = JSON.parse(proc.stdout) as EndpointStats[];
  const one = all.find((e) => e.name === endpoint);
  if (!one) throw new Error(`regnotify stats: no endpoint ${endpoint} in ${proc.stdout}`);
  return one;
}

/** regnotify_ingest_requests_total by status code, and regnotify_ingest_events_total. */
export async function ingestCounters(
  s: Setup,
): Promise<{ byCode: Record<string, number>; events: number }> {
  // /metrics takes the ingest's credentials when no metrics.token is set.
  const res = await fetch(`${s.ingestBase}/metrics`, {
    headers: { authorization: `Bearer ${ingestToken}` },
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${text.slice(0, 200)}`);
  const byCode: Record<string, number> = {};
  let events = 0;
  for (const line of text.split('\n')) {
    const req = /^regnotify_ingest_requests_total\{code="(\d+)"\} (\S+)$/.exec(line);
    if (req) byCode[req[1]!] = Number(req[2]);
    const ev = /^regnotify_ingest_events_total (\S+)$/.exec(line);
    if (ev) events = Number(ev[1]);
  }
  return { byCode, events };
}

export interface EventSummary {
  id: string;
  action: string;
  repository: string;
  digest: string;
  tag: string;
}

/** The single event of a registry POST (2.8.2 sends one event per request). */
export function eventOf(r: RecordedRequest): EventSummary {
  const { events } = JSON.parse(r.body) as {
    events: {
      id: string;
      action: string;
      target: { repository?: string; digest?: string; tag?: string };
    }[];
  };
  if (events.length !== 1) throw new Error(`expected one event per POST, got ${events.length}`);
  const e = events[0]!;
  return {
    id: e.id,
    action: e.action,
    repository: e.target.repository ?? '',
    digest: e.target.digest ?? '',
    tag: e.target.tag ?? '',
  };
}

/** The Authorization header lines of a request exactly as sent (name case and value). */
export function authorizationLines(r: RecordedRequest): string[] {
  const lines: string[] = [];
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) {
    if (r.rawHeaders[i]!.toLowerCase() === 'authorization') lines.push(r.rawHeaders[i + 1]!);
  }
  return lines;
}

/** When this regnotify process last logged a failed delivery attempt (pino `time`), or 0. */
export function lastFailedAttemptAt(proc: Child): number {
  let last = 0;
  for (const line of proc.stdout.split('\n')) {
    if (!line.includes('delivery attempt failed')) continue;
    const { time } = JSON.parse(line) as { time?: number };
    if (typeof time === 'number' && time > last) last = time;
  }
  return last;
}
