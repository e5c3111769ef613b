import { abortableSleep } from '../sinks/retrying.js';
import type { RedisClient } from './connection.js';
import { LuaScript } from './scripts.js';

/** An endpoint's rate limit: at most `max` POSTs in any interval of `perMs`. */
export interface RateLimit {
  max: number;
  perMs: number;
}

/**
 * One grant of the rate limit, decided in Redis so that every worker process of the endpoint
 * shares it: a sliding log (a ZSET in the endpoint's slot, one member per POST granted, scored
 * by Redis's own clock, so the processes' clocks do not matter). A POST is granted while fewer
 * than `max` were granted in the last `per` ms; else the reply is how long until the oldest one
 * leaves the window.
 *   KEYS: rate   ARGV: max, per ms, member (unique per grant)   → 0 granted / ms to wait
 * Redis ≥ 5 replicates a script's effects, not the script, so reading TIME before writing is
 * allowed (Redis 7.0 is required anyway).
 */
export const rateScript = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max, per = tonumber(ARGV[1]), tonumber(ARGV[2])
-- The first write never grows memory: on a full Redis (noeviction) the script may then go on
-- to ZADD, so a rate-limited endpoint can still drain a full Redis.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], per)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + per - now
if wait < 1 then wait = 1 end
return wait
`);

/**
 * An endpoint's rate limit as seen by one worker: acquire() before each POST (retries included)
 * waits until Redis grants one. The wait holds whatever the caller holds (a strict run keeps
 * its head's lock, renewed): releasing the head and taking it again would cost two round trips
 * per wait and let no one else deliver anyway — strict order has nothing else to send.
 */
export class RateLimiter {
  private serial = 0;
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;

  constructor(
    private readonly client: RedisClient,
    private readonly key: string,
    private readonly limit: RateLimit,
  ) {}

  /** Resolves true once a POST may go out, false when `signal` aborted first (send nothing). */
  async acquire(signal: AbortSignal): Promise<boolean> {
    const { max, perMs } = this.limit;
    while (!signal.aborted) {
      const member = `${this.id}:${++this.serial}`;
      const wait = Number(await rateScript.run(this.client, [this.key], [max, perMs, member]));
      if (wait <= 0) return true;
      await abortableSleep(wait, signal);
    }
    return false;
  }
}
