/**
 * Delivery history: every attempt, per endpoint, in a Redis stream (`<prefix>:{ep-x}:rn:history`,
 * names.ts), written by the round trip that ends a delivery run (the finish step) and bounded
 * there by count (XADD MAXLEN ~) and age (XTRIM MINID ~): the stream id is the attempt's time.
 * An entry is a flat list of short fields, so a stream's listpack keeps one copy of the field
 * names per node and each attempt costs little more than its values.
 *   i event id · a action · r repository · t tag · d digest · n attempt number ·
 *   s result (HTTP status, or the transport error's code) · ok 1/0 · ms duration ·
 *   w worker (host:pid) · c accepted at (ms)
 */
import { hostname } from 'node:os';
import type { PostResult } from '../sinks/http-post.js';
import type { RedisClient } from './connection.js';
import type { EndpointKeys } from './names.js';
import type { StoredEvent } from './store.js';

/** This process, as attempts name their worker. */
export const WorkerName = `${hostname()}:${process.pid}`;

/** Where the history of each endpoint is bounded (0 = no history at all). */
export interface HistoryLimits {
  maxAttempts: number;
  maxAgeMs: number;
}

/** One attempt as read back. */
export interface Attempt {
  /** When the attempt ended (ms), from the stream id. */
  at: number;
  /** The stream id: a cursor for paging. */
  cursor: string;
  eventId: string;
  action: string;
  repository: string;
  tag: string;
  digest: string;
  attempt: number;
  /** `200`, `503`, or a transport error's code (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`…). */
  result: string;
  ok: boolean;
  durationMs: number;
  worker: string;
  acceptedAt: number;
}

/**
 * A top-level string field of a stored event, read without parsing the event: stored events are
 * compact JSON in Go's field order (id, timestamp, action, target{…, digest, …, repository, …,
 * tag}, then request/actor/source), so the first `"name":"` is the one wanted. A value with an
 * escape is cut at its first backslash: good enough to show and to search by.
 */
export function fieldOf(raw: string, name: string): string {
  const key = `"${name}":"`;
  const at = raw.indexOf(key);
  if (at < 0) return '';
  const from = at + key.length;
  let to = from;
  while (to < raw.length && raw[to] !== '"' && raw[to] !== '\\') to++;
  return raw.slice(from, to);
}

/** The code an attempt's result is recorded under. */
export function resultCode(result: PostResult): string {
  if (result.ok || result.status > 0) return String(result.status);
  const cause = result.error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : result.error.code;
}

/** The stream fields of one event's attempt. */
export function attemptFields(e: StoredEvent, result: PostResult, durationMs: number): string[] {
  return [
    'i',
    fieldOf(e.raw, 'id'),
    'a',
    fieldOf(e.raw, 'action'),
    'r',
    fieldOf(e.raw, 'repository'),
    't',
    fieldOf(e.raw, 'tag'),
    'd',
    fieldOf(e.raw, 'digest'),
    'n',
    String(e.attempts + 1),
    's',
    resultCode(result),
    'ok',
    result.ok ? '1' : '0',
    'ms',
    String(Math.round(durationMs)),
    'w',
    WorkerName,
    'c',
    String(e.acceptedAt),
  ];
}

function parseEntry(id: string, fields: string[]): Attempt {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return {
    at: Number(id.split('-', 1)[0]),
    cursor: id,
    eventId: f['i'] ?? '',
    action: f['a'] ?? '',
    repository: f['r'] ?? '',
    tag: f['t'] ?? '',
    digest: f['d'] ?? '',
    attempt: Number(f['n'] ?? 0),
    result: f['s'] ?? '',
    ok: f['ok'] === '1',
    durationMs: Number(f['ms'] ?? 0),
    worker: f['w'] ?? '',
    acceptedAt: Number(f['c'] ?? 0),
  };
}

/** Attempts newest first, at most `count`, older than `before` (a cursor) when given. */
export async function readHistory(
  client: RedisClient,
  keys: Pick<EndpointKeys, 'history'>,
  count: number,
  before?: string,
): Promise<Attempt[]> {
  const end = before === undefined ? '+' : `(${before}`;
  const reply = (await client.xrevrange(keys.history, end, '-', 'COUNT', count)) as [
    string,
    string[],
  ][];
  return reply.map(([id, fields]) => parseEntry(id, fields));
}
