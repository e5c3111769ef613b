/**
 * Delivery history: every attempt, per endpoint, in a Redis stream (`<prefix>:{ep-x}:rn:history`,
 * names.ts), written by the round trip that ends a delivery run (the finish step) and bounded
 * there by count (XTRIM MAXLEN ~) and age (XTRIM MINID ~): the stream id is the attempt's time.
 * An entry is one field, `a`, whose value is the attempt's values joined by newlines — a value
 * never holds one: each comes from an event's compact JSON, cut at its first backslash (see
 * fieldOf) — in this order:
 *   event id, action, repository, tag, digest, attempt number, result (HTTP status, or the
 *   transport error's code), ok (1/0), duration ms, worker (host:pid), accepted at (ms).
 * One field, not eleven: the Lua script that writes it and Redis's stream encoding each do one
 * value's work per attempt, and the entry costs little more than its values' bytes.
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

/** One event's attempt, as the stream entry's value (see the top of this file). */
export function attemptEntry(e: StoredEvent, result: PostResult, durationMs: number): string {
  const r = e.raw;
  return `${fieldOf(r, 'id')}\n${fieldOf(r, 'action')}\n${fieldOf(r, 'repository')}\n${fieldOf(r, 'tag')}\n${fieldOf(r, 'digest')}\n${e.attempts + 1}\n${resultCode(result)}\n${result.ok ? 1 : 0}\n${Math.round(durationMs)}\n${WorkerName}\n${e.acceptedAt}`;
}

function parseEntry(id: string, fields: string[]): Attempt {
  const v = (fields[fields.indexOf('a') + 1] ?? '').split('\n');
  return {
    at: Number(id.split('-', 1)[0]),
    cursor: id,
    eventId: v[0] ?? '',
    action: v[1] ?? '',
    repository: v[2] ?? '',
    tag: v[3] ?? '',
    digest: v[4] ?? '',
    attempt: Number(v[5] ?? 0),
    result: v[6] ?? '',
    ok: v[7] === '1',
    durationMs: Number(v[8] ?? 0),
    worker: v[9] ?? '',
    acceptedAt: Number(v[10] ?? 0),
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
