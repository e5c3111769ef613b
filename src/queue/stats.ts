import type { EndpointMetrics } from '../metrics/endpoint-metrics.js';
import type { RedisClient } from './connection.js';
import { endpointKeys } from './names.js';
import { LuaScript } from './scripts.js';

/** Cluster-wide numbers of one endpoint, read from Redis: every process reports the same. */
export interface EndpointStats extends EndpointMetrics {
  name: string;
  /** Events given up and kept in the dead-letter list. */
  dead: number;
  /** Dead letters dropped (oldest first) to keep the list within its cap. */
  deadDropped: number;
  /** Age of the oldest event not yet delivered (0 when none). */
  oldestPendingAgeMs: number;
  /** Consecutive failed attempts (the breaker's count). */
  recentFailures: number;
  /** > 0 while the breaker holds every worker back. */
  backoffRemainingMs: number;
  paused: boolean;
}

/**
 *   KEYS: wait, active, delayed, prioritized, metrics, breaker, dead, limiter, meta
 *   ARGV: key base
 */
const statsScript = new LuaScript(`
local pending = redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2])
  + redis.call('ZCARD', KEYS[3]) + redis.call('ZCARD', KEYS[4])
local oldest = redis.call('LRANGE', KEYS[2], -1, -1)[1] or redis.call('LRANGE', KEYS[1], -1, -1)[1]
local oldestTs = 0
if oldest then oldestTs = tonumber(redis.call('HGET', ARGV[1] .. oldest, 'timestamp') or '0') end
-- The limiter key also counts jobs (BullMQ's limiter); it is a backoff only at the sentinel.
local backoff = 0
if tonumber(redis.call('GET', KEYS[8]) or '0') >= 9007199254740991 then backoff = redis.call('PTTL', KEYS[8]) end
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return { pending, redis.call('HGETALL', KEYS[5]), tonumber(redis.call('HGET', KEYS[6], 'recent') or '0'),
  redis.call('LLEN', KEYS[7]), backoff, oldestTs, nowMs,
  redis.call('HEXISTS', KEYS[9], 'paused') }
`);

export async function readEndpointStats(
  client: RedisClient,
  prefix: string,
  name: string,
): Promise<EndpointStats> {
  const k = endpointKeys(prefix, name);
  const [pending, fields, recent, dead, pttl, oldestTs, nowMs, paused] = (await statsScript.run(
    client,
    [
      k.wait,
      k.active,
      `${k.base}delayed`,
      `${k.base}prioritized`,
      k.metrics,
      k.breaker,
      k.dead,
      k.limiter,
      k.meta,
    ],
    [k.base],
  )) as [number, string[], number, number, number, number, number, number];
  const counters: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const field = fields[i]!;
    const value = Number(fields[i + 1]);
    if (field.startsWith('s:')) statuses[field.slice(2)] = value;
    else counters[field] = value;
  }
  const delivered = counters['delivered'] ?? 0;
  return {
    name,
    pending,
    // Every event accepted is delivered, pending or dead; counting it this way needs no write
    // on the ingest path. (A re-delivery after a crash counts once more.) A replayed dead
    // letter is pending (or delivered) again: `replayed` keeps it from counting twice.
    events: delivered + pending + (counters['dead'] ?? 0) - (counters['replayed'] ?? 0),
    successes: counters['successes'] ?? 0,
    failures: counters['failures'] ?? 0,
    errors: counters['errors'] ?? 0,
    statuses,
    dead,
    deadDropped: counters['deadDropped'] ?? 0,
    oldestPendingAgeMs: oldestTs > 0 ? Math.max(0, nowMs - oldestTs) : 0,
    recentFailures: recent,
    backoffRemainingMs: pttl > 0 ? pttl : 0,
    paused: paused === 1,
  };
}
