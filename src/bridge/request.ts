import { isIP } from 'node:net';
import type { ActorRecord, RequestRecord } from '../events/types.js';
import { firstHeader } from './headers.js';
import type { RequestLike } from './headers.js';
import { uuidv7 } from './uuid.js';

/**
 * The `request` record of an event, as the registry's `NewRequestRecord` fills it (docs/compatibility.md
 * §1.7). `id` is the per-request id; a new UUIDv7 when none is given.
 */
export function requestRecordFromRequest(req: RequestLike, id: string = uuidv7()): RequestRecord {
  const record: RequestRecord = { id, method: req.method ?? '', useragent: '' };
  const addr = remoteAddr(req);
  if (addr) record.addr = addr;
  const host = firstHeader(req, 'host');
  if (host) record.host = host;
  record.useragent = firstHeader(req, 'user-agent') ?? '';
  return record;
}

/**
 * The `actor` record: the authenticated user's name when the caller has one, else the
 * Basic-auth username of the `Authorization` header — the registry reports it even when no
 * auth is configured — else `{}`.
 */
export function actorFromRequest(req: RequestLike, authenticatedUser?: string): ActorRecord {
  const name = authenticatedUser || basicAuthUsername(firstHeader(req, 'authorization'));
  return name ? { name } : {};
}

/**
 * requestutil.RemoteAddr: the first `X-Forwarded-For` entry if it is an IP, else `X-Real-Ip`
 * if it is an IP, else the socket's `ip:port` (`[ip6]:port`).
 */
export function remoteAddr(req: RequestLike): string {
  const forwardedFor = firstHeader(req, 'x-forwarded-for');
  if (forwardedFor) {
    const first = (forwardedFor.split(',')[0] ?? '').replace(/^ +| +$/g, '');
    if (isGoIP(first)) return first;
  }
  const realIP = firstHeader(req, 'x-real-ip');
  if (realIP && isGoIP(realIP)) return realIP;
  return socketAddr(req.socket.remoteAddress, req.socket.remotePort);
}

/** Go's `r.RemoteAddr` form. Go prints IPv4-mapped IPv6 peers as plain IPv4. */
function socketAddr(address: string | undefined, port: number | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped?.[1] ?? address;
  const host = isIP(ip) === 6 ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

/** net.ParseIP accepts plain IPv4/IPv6 text, no zone (`%eth0`) and no brackets. */
function isGoIP(s: string): boolean {
  return !s.includes('%') && isIP(s) !== 0;
}

/**
 * Go's `Request.BasicAuth` username: scheme `Basic` (any case), strict standard base64, and a
 * `user:password` pair; anything else yields nothing.
 */
function basicAuthUsername(header: string | undefined): string | undefined {
  const prefix = 'basic ';
  if (!header || header.length < prefix.length) return undefined;
  if (header.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
  const encoded = header.slice(prefix.length);
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(0, colon);
}
