import {
  RECORD_RUN_TAKE,
  RELEASE_HEAD,
  SETTLE_HEAD,
  recoverStalledLua,
  removeDeliveredLua,
} from './record-run.js';
import { LuaScript } from './scripts.js';

/**
 * The strict-order worker's Redis steps (strict-loop.ts), on BullMQ 6.7's queue layout, so that
 * BullMQ's own code — Queue.getJobCounts, pause/resume, a Worker's stalled checker, an older
 * regnotify's BullMQ Worker during a rolling upgrade — sees exactly what its own Worker would
 * leave: the head job moved from the right end of `wait` to `active`, locked with
 * `<job>:lock` = token for lockDuration, `processedOn`, `pb` (processed by) and `ats` (attempts
 * started) in the job hash; finished by deleting the job (removeOnComplete: { count: 0 }) or
 * put back at the head of `wait`. test/contract/strict-layout.test.ts runs BullMQ over it.
 *
 * One script both finishes a run and takes the next, so a worker that keeps finding events
 * pays one round trip per run, and a worker that keeps up with a trickle pays two per event
 * (the wake-up on BullMQ's `marker`, then this).
 *
 *   KEYS: wait, active, meta, limiter, stalled, breaker, metrics, dead, marker, history
 *   ARGV: key base (`<prefix>:{ep-x}:`), JSON {
 *     finish?: { head, token, done (head delivered or dead-lettered), remove: [read-ahead ids,
 *                head first], reset, counts: {field: n}, dead: [entry JSON], deadMax (0 = no
 *                cap), history: [entry…] (history.ts), historyMax, historyMinId },
 *     take?: { token, lockMs, now, count (events to read: the head and count − 1 after it),
 *              name (worker name, BullMQ's `pb`), maxJobs (the limiter's max) } }
 *   → { owned, removed, state, pttl, skipped, deadDropped, then per event read: id, name, data,
 *       timestamp, failed attempts }
 *   owned: 1 the head was still ours (locked with our token), 0 not (lost the lock) or no finish;
 *   removed: 1 the read-ahead ids were still next in line and are gone, 0 left in place;
 *   state: 'events' | 'empty' | 'busy' (another worker holds a job) | 'paused' | 'limited'
 *          (pttl: ms until the rate limit ends) | 'none' (no take asked);
 *   skipped: ids in `wait` whose job hash is gone (nothing to deliver), dropped;
 *   deadDropped: the oldest dead letters dropped to keep the list within `deadMax`.
 */
export const advanceScript = new LuaScript(`
local base = ARGV[1]
local spec = cjson.decode(ARGV[2])
local owned, removed, dropped = 0, 1, 0
local f = spec.finish
if f then
  local headKey = base .. f.head
  local lockKey = headKey .. ':lock'
  -- On a full Redis (noeviction) the first write of a script decides whether it may write:
  -- LREM, LTRIM and DEL never grow memory, so what follows (counters, a job put back) lands.
${RELEASE_HEAD}${removeDeliveredLua('KEYS[1]', 'base', 'f.remove')}${SETTLE_HEAD}${RECORD_RUN_TAKE}end
local t = spec.take
if not t then
  -- Not going on (stopping, backing off): whatever waits is for another worker to take.
  if owned == 1 and redis.call('LLEN', KEYS[1]) > 0 and not redis.call('HGET', KEYS[3], 'paused') then
    redis.call('ZADD', KEYS[9], 0, '0')
  end
  return { owned, removed, 'none', 0, 0, dropped }
end
local meta = redis.call('HMGET', KEYS[3], 'paused', 'max')
if meta[1] then return { owned, removed, 'paused', 0, 0, dropped } end
local maxJobs = tonumber(meta[2]) or t.maxJobs
if maxJobs <= tonumber(redis.call('GET', KEYS[4]) or '0') then
  local pttl = redis.call('PTTL', KEYS[4])
  if pttl > 0 then return { owned, removed, 'limited', pttl, 0, dropped } end
end
-- A job in active without its lock was held by a worker that died: back to the head of the
-- queue, as BullMQ's stalled checker does (without waiting for a second check).
${recoverStalledLua({ wait: 'KEYS[1]', active: 'KEYS[2]', stalled: 'KEYS[5]', base: 'base' })}if redis.call('LLEN', KEYS[2]) > 0 then return { owned, removed, 'busy', 0, 0, dropped } end
local out = { owned, removed, 'events', 0, 0, dropped }
local head
for _ = 1, 100 do
  head = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
  if not head or redis.call('HEXISTS', base .. head, 'data') == 1 then break end
  redis.call('LREM', KEYS[2], 1, head)
  out[5] = out[5] + 1
  head = nil
end
if not head then
  out[3] = 'empty'
  return out
end
local headKey = base .. head
redis.call('SET', headKey .. ':lock', t.token, 'PX', t.lockMs)
redis.call('HSET', headKey, 'processedOn', t.now, 'pb', t.name)
redis.call('HINCRBY', headKey, 'ats', 1)
local ids = { head }
if t.count > 1 then
  local next = redis.call('LRANGE', KEYS[1], -(t.count - 1), -1)
  for i = #next, 1, -1 do ids[#ids + 1] = next[i] end
end
for _, id in ipairs(ids) do
  local h = redis.call('HMGET', base .. id, 'name', 'data', 'timestamp', 'rn:att')
  if h[2] then
    out[#out + 1] = id
    out[#out + 1] = h[1] or 'v1'
    out[#out + 1] = h[2]
    out[#out + 1] = h[3] or '0'
    out[#out + 1] = h[4] or '0'
  end
end
return out
`);

/**
 * BullMQ 6.7's extendLock: renews the head's lock while its run goes on, if it is still ours.
 *   KEYS: lock, stalled   ARGV: token, lock ms, job id   → 1 renewed / 0 lost
 */
export const extendLockScript = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SREM', KEYS[2], ARGV[3])
  return 1
end
return 0
`);
