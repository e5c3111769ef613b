/**
 * Start-up warnings about a configuration that runs but cannot be what was meant: an ingest
 * with no endpoint (it answers 200 to every envelope and stores nothing, since an event is
 * stored per endpoint), and an endpoint whose URL is this process's own ingest (each event
 * delivered comes back in as a new one, for ever). Said once, at start-up, as warn lines.
 */
import { networkInterfaces, hostname } from 'node:os';
import type { EndpointSettings } from './config/types.js';
import type { Logger } from './log.js';

export interface IngestListening {
  /** `ingest.addr` as configured (`host:port`, `:port`, `[::1]:port`). */
  addr: string;
  /** The port it is bound to (the configured one, or the one port 0 got). */
  port: number;
  /** `ingest.path`. */
  path: string;
  /** The URL it is shown at (src/http/server.ts). */
  url: string;
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];
const WILDCARD = ['', '0.0.0.0', '::'];

/** The host names and addresses that reach a server listening on `addr`'s host. */
function ownHosts(addr: string): Set<string> {
  const host = addr
    .slice(0, addr.lastIndexOf(':'))
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  const loopback = LOOPBACK.includes(host) || /^127\./.test(host);
  if (!WILDCARD.includes(host)) return new Set(loopback ? [host, ...LOOPBACK] : [host]);
  const interfaces = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  return new Set([
    ...LOOPBACK,
    hostname().toLowerCase(),
    ...interfaces.map((i) => i.address.toLowerCase()),
  ]);
}

/** Whether `url` (an endpoint's) reaches the ingest `at`, path included. */
export function isOwnIngest(url: string, at: IngestListening): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:') return false; // the ingest serves plain HTTP only
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const local = ownHosts(at.addr).has(host);
  return local && Number(u.port || 80) === at.port && u.pathname === at.path;
}

/** Logs the warnings of a process whose ingest listens at `ingest`. */
export function warnAboutIngest(
  logger: Logger,
  configured: readonly EndpointSettings[],
  ingest: IngestListening,
): void {
  const enabled = configured.filter((e) => !e.disabled);
  if (enabled.length === 0) {
    const what =
      configured.length === 0
        ? 'no endpoint is configured (notifications.endpoints)'
        : 'every endpoint is disabled (notifications.endpoints)';
    logger.warn(`${what}: the ingest answers 200 to every envelope and stores nothing`);
  }
  for (const e of enabled) {
    if (!isOwnIngest(e.url, ingest)) continue;
    logger.warn(
      { endpoint: e.name },
      `endpoint ${e.name} delivers to this process's own ingest (${ingest.url}${ingest.path}): every event it is sent comes back in, a loop`,
    );
  }
}

/**
 * The warning for a console (the dashboard and /api/v1/) served without credentials on an
 * address other hosts can reach: anyone there reads every endpoint's events and dead letters
 * and, unless read-only, replays, drops and pauses. undefined when there is nothing to say.
 */
export function consoleOpenWarning(
  addr: string,
  { credentials, readOnly }: { credentials: boolean; readOnly: boolean },
): string | undefined {
  const host = addr
    .slice(0, addr.lastIndexOf(':'))
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase();
  if (credentials || LOOPBACK.includes(host) || /^127\./.test(host)) return undefined;
  const what = readOnly
    ? 'its reads (read-only: events, attempts, dead letters)'
    : 'its reads and writes (replay, drop, pause)';
  return `the console (/ and /api/v1/) on ${addr} is open to anyone who reaches it, ${what}: set console.token (or console.enabled: false)`;
}
