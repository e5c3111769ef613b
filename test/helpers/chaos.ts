/**
 * The pieces every chaos test shares: regnotify's `ingest` and `work` commands as real processes
 * (from dist/: `npm run build` first) configured through the environment, the tally of
 * acknowledged vs delivered events, their JSON log lines, and the one-line `CHAOS {…}` report.
 */
import { existsSync } from 'node:fs';
import type { Load } from './load.js';
import { cli, spawnNode } from './processes.js';
import type { Child } from './processes.js';
import { eventIdsOf } from './receiver.js';
import type { Receiver } from './receiver.js';
import { waitUntil } from './wait.js';

export const ENDPOINT = 'hooks';

export type AddCleanup = (...fns: (() => Promise<unknown>)[]) => void;

/** Where the processes find Redis: one server, a Sentinel group, or Cluster seed nodes. */
export type RedisTarget =
  { url: string } | { sentinels: string; name: string } | { clusterNodes: string };

export interface ServiceEnvOptions {
  redis: RedisTarget;
  receiverUrl: string;
  /** The endpoint's registry-style settings (defaults: timeout 1s, threshold 10, backoff 1s). */
  timeout?: string;
  threshold?: number;
  backoff?: string;
  /** REGNOTIFY_* variables added last (e.g. REGNOTIFY_REDIS_WAITREPLICAS). */
  extra?: Record<string, string>;
}

/** The environment of a `regnotify ingest|work` process serving one endpoint, ENDPOINT. */
export function serviceEnv(o: ServiceEnvOptions): Record<string, string> {
  const redis: Record<string, string> =
    'url' in o.redis
      ? { REGNOTIFY_REDIS_URL: o.redis.url }
      : 'sentinels' in o.redis
        ? {
            REGNOTIFY_REDIS_SENTINEL_SENTINELS: o.redis.sentinels,
            REGNOTIFY_REDIS_SENTINEL_NAME: o.redis.name,
          }
        : { REGNOTIFY_REDIS_CLUSTER_NODES: o.redis.clusterNodes };
  return {
    ...redis,
    REGNOTIFY_LOGGING_LEVEL: 'info',
    REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: ENDPOINT,
    REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: o.receiverUrl,
    REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT: o.timeout ?? '1s',
    REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: String(o.threshold ?? 10),
    REGISTRY_NOTIFICATIONS_ENDPOINTS_0_BACKOFF: o.backoff ?? '1s',
    ...o.extra,
  };
}

/**
 * Starts `regnotify <command>` and resolves once it says it is serving (ingest: listening;
 * work: workers started). Stopped at cleanup: SIGTERM, then SIGKILL if it has not exited in 5 s
 * (a worker whose Redis is gone may wait on it).
 */
export async function startService(
  command: 'ingest' | 'work',
  env: Record<string, string>,
  cleanup: AddCleanup,
  readyTimeoutMs = 20_000,
): Promise<Child> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const proc = spawnNode(cli, [command], { env });
  cleanup(() => stopService(proc));
  await proc.waitForLine(
    command === 'work' ? /delivery workers started/ : /ingest listening/,
    readyTimeoutMs,
  );
  return proc;
}

export async function stopService(proc: Child): Promise<void> {
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await proc.exited;
  clearTimeout(timer);
}

export interface LogRecord {
  level: number;
  time: number;
  msg: string;
  /** The whole line, for matching on any field (err, endpoint, …). */
  line: string;
}

/** The process's pino lines (JSON on stdout); other output is skipped. */
export function logRecords(proc: Child): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of proc.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as { level?: unknown; time?: unknown; msg?: unknown };
      if (typeof r.level === 'number' && typeof r.time === 'number')
        out.push({ level: r.level, time: r.time, msg: String(r.msg ?? ''), line });
    } catch {
      // a partial last line
    }
  }
  return out;
}

export interface DeliveryTally {
  acked: number;
  /** Distinct event ids the receiver answered 2xx for. */
  delivered: number;
  /** Acknowledged but never delivered: must be empty. */
  missing: string[];
  /** Deliveries beyond the first of an id (at-least-once allows them; counted). */
  duplicates: number;
  /** Delivered though not acknowledged (a refused or unanswered POST that was stored). */
  deliveredNotAcked: number;
}

export function tally(load: Load, rx: Receiver): DeliveryTally {
  const all: string[] = [];
  for (const r of rx.requests) {
    if (r.status !== undefined && r.status >= 200 && r.status < 300) all.push(...eventIdsOf(r));
  }
  const delivered = new Set(all);
  const acked = load.acked();
  const ackedSet = new Set(acked);
  return {
    acked: acked.length,
    delivered: delivered.size,
    missing: acked.filter((id) => !delivered.has(id)),
    duplicates: all.length - delivered.size,
    deliveredNotAcked: [...delivered].filter((id) => !ackedSet.has(id)).length,
  };
}

/**
 * Waits until every acknowledged event was delivered — or the receiver has heard nothing for
 * `idleMs` (the worker has nothing left to send: what is missing is lost), or `timeoutMs` — and
 * returns the tally either way, so the test can report its figures before asserting. `idleMs`
 * (8 s) is above a stalled delivery's recovery (lockDuration 4 s + stalledInterval 2 s).
 */
export async function settleDeliveries(
  load: Load,
  rx: Receiver,
  timeoutMs: number,
  idleMs = 8_000,
): Promise<DeliveryTally> {
  const lastArrival = (): number => rx.requests[rx.requests.length - 1]?.receivedAt ?? 0;
  const started = performance.timeOrigin + performance.now();
  await waitUntil(
    () => {
      if (tally(load, rx).missing.length === 0) return true;
      const now = performance.timeOrigin + performance.now();
      return now - Math.max(started, lastArrival()) >= idleMs;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch(() => undefined);
  return tally(load, rx);
}

/** A failure message naming how many acknowledged events are missing, and a few of them. */
export function missingMessage(t: DeliveryTally): string {
  return `${t.missing.length} of ${t.acked} acknowledged events never delivered (e.g. ${t.missing.slice(0, 3).join(', ')})`;
}

/** When the receiver first got a request (answered 2xx) at or after `since`, or undefined. */
export function firstDeliveryAfter(rx: Receiver, since: number): number | undefined {
  let first: number | undefined;
  for (const r of rx.requests) {
    if (r.receivedAt < since || r.status === undefined || r.status >= 300) continue;
    if (first === undefined || r.receivedAt < first) first = r.receivedAt;
  }
  return first;
}

/** The sum of a Prometheus metric's samples (all label sets) at `url`, or undefined if absent. */
export async function metricValue(url: string, name: string): Promise<number | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

/** Logs the figures of one scenario on one line, `CHAOS {"scenario":…}`, for the report. */
export function reportChaos(scenario: string, figures: Record<string, unknown>): void {
  const rounded = JSON.stringify({ scenario, ...figures }, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isInteger(v) ? Math.round(v) : v,
  );
  console.log(`CHAOS ${rounded}`);
}

/** Milliseconds from `from` to `to`, or null when `to` never happened (JSON-friendly). */
export function msBetween(from: number, to: number | undefined): number | null {
  return to === undefined ? null : Math.round(to - from);
}
