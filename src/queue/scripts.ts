import { createHash } from 'node:crypto';
import { recordRunLua, removeDeliveredLua } from './record-run.js';
import type { RedisClient } from './connection.js';

/**
 * Lua run with EVALSHA, falling back to EVAL once when the server does not know the script
 * (a restarted Redis, a new cluster node). Every key a script touches carries the endpoint's
 * hash tag, so each script runs on one cluster slot.
 */
export class LuaScript {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** What follows the command name: the digest for EVALSHA, the source for EVAL. */
  ref(command: 'EVALSHA' | 'EVAL'): string {
    return command === 'EVALSHA' ? this.sha : this.source;
  }

  async run(client: RedisClient, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.call('EVAL', this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Reads the jobs next in line after the active head, head first, with the breaker state and
 * the head's failed attempts (the head's bytes came with BullMQ's moveToActive: event-worker.ts).
 * BullMQ pushes new jobs on the left of `wait` and takes from the right, so the next job is
 * the rightmost element.
 *   KEYS: wait, breaker   ARGV: count, key base (`<prefix>:{ep-x}:`), head job id
 *   → { recent, head attempts, { id, name, data, timestamp, attempts }... flattened }
 */
export const peekScript = new LuaScript(`
local recent = tonumber(redis.call('HGET', KEYS[2], 'recent') or '0')
local out = { recent, tonumber(redis.call('HGET', ARGV[2] .. ARGV[3], 'rn:att') or '0') }
local n = tonumber(ARGV[1])
if n > 0 then
  local ids = redis.call('LRANGE', KEYS[1], -n, -1)
  for i = #ids, 1, -1 do
    local id = ids[i]
    local h = redis.call('HMGET', ARGV[2] .. id, 'name', 'data', 'timestamp', 'rn:att')
    if h[2] then
      table.insert(out, id)
      table.insert(out, h[1] or 'v1')
      table.insert(out, h[2])
      table.insert(out, h[3] or '0')
      table.insert(out, h[4] or '0')
    end
  end
end
return out
`);

/**
 * One failed attempt: counts it for the breaker (shared by every worker of the endpoint) and
 * for the event, and — once `recent` reaches the threshold, or when the endpoint asked for a
 * Retry-After — sets BullMQ's rate-limit key so that NO worker takes a job before the backoff
 * has passed (workers honour it because they run with a `limiter`).
 *   KEYS: breaker, limiter, job
 *   ARGV: now, threshold, backoffMs, retryAfterMs (0 = none), reset first (1: successes of
 *         this run came before this failure)
 *   → { recent, attempts, waitMs }
 */
export const failureScript = new LuaScript(`
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'recent', 0) end
local recent = redis.call('HINCRBY', KEYS[1], 'recent', 1)
local attempts = 0
if redis.call('EXISTS', KEYS[3]) == 1 then
  attempts = redis.call('HINCRBY', KEYS[3], 'rn:att', 1)
end
local now = tonumber(ARGV[1])
local wait = 0
if recent >= tonumber(ARGV[2]) then wait = tonumber(ARGV[3]) end
local ra = tonumber(ARGV[4])
if ra > wait then wait = ra end
redis.call('HSET', KEYS[1], 'last', now, 'until', now + wait)
if wait > 0 then
  redis.call('SET', KEYS[2], '9007199254740991', 'PX', wait)
end
return { recent, attempts, wait }
`);

/**
 * Ends a delivery run in one round trip: resets the breaker if anything succeeded since the
 * last failure, adds the run's counters, dead-letters events that gave up (dropping the oldest
 * beyond `deadMax`), appends the run's attempts to the history stream (history.ts) and bounds it,
 * and removes the read-ahead jobs that were delivered or dead-lettered — only if they are still,
 * in order, next in line (else another worker has them now, and they will simply be sent again).
 *   KEYS: wait, breaker, metrics, dead, history
 *   ARGV: key base, JSON { reset, counts: {field: n}, remove: [ids], dead: [entry JSON],
 *         history: [entry…], historyMax, historyMinId (ms), deadMax }
 *   → { 1 removed / 0 left in place, dead letters dropped }
 */
export const finishScript = new LuaScript(`
local spec = cjson.decode(ARGV[2])
-- Removal first: on a full Redis (noeviction) only a script whose first write frees memory
-- may go on to write more, so the counters below still land when delivery is what frees it.
local removed = 1
${removeDeliveredLua('KEYS[1]', 'ARGV[1]', 'spec.remove')}local dropped = 0
${recordRunLua({ spec: 'spec', breaker: 'KEYS[2]', metrics: 'KEYS[3]', dead: 'KEYS[4]', history: 'KEYS[5]' })}
return { removed, dropped }
`);

/**
 * Stores a batch of events for one endpoint, the way BullMQ 6.7's addStandardJob stores a job
 * (the job hash fields a Worker reads, LPUSH on `wait`, the `marker` that wakes a blocked
 * worker unless the queue is paused or at its global concurrency) — without its per-job
 * msgpack, job counter, events-stream entries and meta writes, and with what regnotify needs:
 * - an event already pending (same job id) or accepted within the dedupe window (`seen`) is not
 *   stored again (a replay passes ARGV[6] = '0' to skip the window);
 * - the reply says, per event, whether it was stored (1) or a duplicate (0).
 * Coupled to BullMQ 6.7's job layout on purpose (package.json pins it); every delivery test
 * consumes these jobs with a real BullMQ Worker.
 *   KEYS: wait, meta, active, marker, seen
 *   ARGV: key base, now (ms), window ms, window max ids (0 = no window), job opts JSON,
 *         check window ('1'/'0'), then per event: job id, name (layout), data (event JSON)
 *   → { 1|0 per event }
 */
export const addScript = new LuaScript(`
local base, now = ARGV[1], tonumber(ARGV[2])
local windowMs, windowMax = tonumber(ARGV[3]), tonumber(ARGV[4])
local checkSeen = ARGV[6] == '1' and windowMax > 0
local out, added = {}, 0
for i = 7, #ARGV, 3 do
  local id = ARGV[i]
  local key = base .. id
  if redis.call('EXISTS', key) == 1 or (checkSeen and redis.call('ZSCORE', KEYS[5], id)) then
    out[#out + 1] = 0
  else
    redis.call('HSET', key, 'name', ARGV[i + 1], 'data', ARGV[i + 2], 'opts', ARGV[5],
      'timestamp', now, 'delay', 0, 'priority', 0)
    redis.call('LPUSH', KEYS[1], id)
    if windowMax > 0 then redis.call('ZADD', KEYS[5], now, id) end
    added = added + 1
    out[#out + 1] = 1
  end
end
if added > 0 then
  local meta = redis.call('HMGET', KEYS[2], 'paused', 'concurrency')
  local maxed = meta[1] or (meta[2] and redis.call('LLEN', KEYS[3]) >= tonumber(meta[2]))
  if not maxed then redis.call('ZADD', KEYS[4], 0, '0') end
end
if windowMax > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - windowMs)
  local n = redis.call('ZCARD', KEYS[5])
  if n > windowMax then redis.call('ZREMRANGEBYRANK', KEYS[5], 0, n - windowMax - 1) end
end
return out
`);
