import { LuaScript } from './scripts.js';
import { RECORD_RUN_TAKE, RELEASE_HEAD, SETTLE_HEAD, recoverStalledLua } from './record-run.js';

/**
 * `ordering: repository` (docs/ordering.md): events of one repository in acceptance order, one
 * at a time; different repositories in parallel, at most K (`concurrency`) in flight across all
 * processes. The same steps and reply as strict-scripts.ts advanceScript (KEYS, ARGV and reply
 * alike, so strict-loop.ts runs it through StrictStore), on the same BullMQ 6.7 layout: a job
 * taken moves from `wait` to `active`, locked with `<job>:lock`; finished, it is deleted or put
 * back at the head of `wait`.
 *
 * The lease of a repository is the lock of its job in `active`: a repository is busy while a
 * job of it there is locked, so a worker killed mid-delivery frees its repository once its lock
 * expires, when any take puts its job back at the head of `wait`. That keeps order: while the
 * lease lived no later job of the repository was taken, so every one still waiting is younger.
 * The take walks `wait` from the head (the oldest, on the right) and takes the first job whose
 * repository is free; later jobs of a busy repository stay behind it. The repository is read
 * from the stored event (`target.repository`, '' when there is none) with cjson, once per job:
 * the take stores it in the job hash as `rn:repo` (after a write that frees memory, so a take
 * works on a full Redis). The ingest's add script and the stored bytes stay as they are.
 *
 *   take (ARGV[2]): { token, lockMs, now, count (1), name, maxJobs, k (the endpoint's
 *                     concurrency), scan (how many waiting jobs a take looks at, from the head) }
 *   state 'busy': K jobs in flight, or every waiting job within `scan` is of a busy repository.
 */
export const repoAdvanceScript = new LuaScript(`
local base = ARGV[1]
local spec = cjson.decode(ARGV[2])
local owned, dropped = 0, 0
local f = spec.finish
if f then
  local headKey = base .. f.head
  local lockKey = headKey .. ':lock'
  -- LREM and DEL first: on a full Redis (noeviction) what follows may then still write.
${RELEASE_HEAD}${SETTLE_HEAD}${RECORD_RUN_TAKE}end
local t = spec.take
if not t then
  if owned == 1 and redis.call('LLEN', KEYS[1]) > 0 and not redis.call('HGET', KEYS[3], 'paused') then
    redis.call('ZADD', KEYS[9], 0, '0')
  end
  return { owned, 1, 'none', 0, 0, dropped }
end
local meta = redis.call('HMGET', KEYS[3], 'paused', 'max')
if meta[1] then return { owned, 1, 'paused', 0, 0, dropped } end
local maxJobs = tonumber(meta[2]) or t.maxJobs
if maxJobs <= tonumber(redis.call('GET', KEYS[4]) or '0') then
  local pttl = redis.call('PTTL', KEYS[4])
  if pttl > 0 then return { owned, 1, 'limited', pttl, 0, dropped } end
end
-- The repository of a stored job; nil when its hash is gone. Parsed from the event once, then
-- read from the job's 'rn:repo' field: a take writes it (see below) for the jobs it parsed.
local parsed = {}
local function repoOf(id)
  local known = redis.call('HGET', base .. id, 'rn:repo')
  if known then return known end
  local data = redis.call('HGET', base .. id, 'data')
  if not data then return nil end
  local ok, v = pcall(cjson.decode, data)
  -- An event stored as a JSON string (by earlier versions; queue/layout.ts rawFromStored) is
  -- decoded twice.
  if ok and type(v) == 'string' then ok, v = pcall(cjson.decode, v) end
  local repo = ''
  if ok and type(v) == 'table' and type(v.target) == 'table'
    and type(v.target.repository) == 'string' then
    repo = v.target.repository
  end
  parsed[#parsed + 1] = id
  parsed[#parsed + 1] = repo
  return repo
end
-- Jobs in active: locked ones hold their repository; one without its lock was held by a worker
-- that died, and goes back to the head of wait (as BullMQ's stalled checker puts it back).
local busy, held = {}, 0
${recoverStalledLua(
  { wait: 'KEYS[1]', active: 'KEYS[2]', stalled: 'KEYS[5]', base: 'base' },
  `    held = held + 1
    local repo = repoOf(id)
    if repo then busy[repo] = true end
`,
)}if held >= t.k then return { owned, 1, 'busy', 0, 0, dropped } end
local out = { owned, 1, 'empty', 0, 0, dropped }
-- From the head (the right end) in pages: the head's neighbours are usually enough.
local head, seen, page = nil, 0, 32
while not head and seen < t.scan do
  local ids = redis.call('LRANGE', KEYS[1], -(seen + page), -(seen + 1))
  if #ids == 0 then break end
  out[3] = 'busy'
  local dropped = 0
  for i = #ids, 1, -1 do
    local id = ids[i]
    local repo = repoOf(id)
    if not repo then
      redis.call('LREM', KEYS[1], -1, id)
      dropped = dropped + 1
    elseif not busy[repo] then
      head = id
      break
    end
  end
  out[5] = out[5] + dropped
  seen = seen + #ids - dropped
  if #ids < page then break end
  page = page * 2
end
if not head then
  if out[5] > 0 and redis.call('LLEN', KEYS[1]) == 0 then out[3] = 'empty' end
  return out
end
out[3] = 'events'
redis.call('LREM', KEYS[1], -1, head)
redis.call('LPUSH', KEYS[2], head)
-- Only now (a write that frees memory came first, so this works on a full Redis): remember the
-- repositories parsed, so that later takes read them instead of parsing each event again.
for i = 1, #parsed, 2 do
  if redis.call('EXISTS', base .. parsed[i]) == 1 then
    redis.call('HSET', base .. parsed[i], 'rn:repo', parsed[i + 1])
  end
end
local headKey = base .. head
redis.call('SET', headKey .. ':lock', t.token, 'PX', t.lockMs)
redis.call('HSET', headKey, 'processedOn', t.now, 'pb', t.name)
redis.call('HINCRBY', headKey, 'ats', 1)
local h = redis.call('HMGET', headKey, 'name', 'data', 'timestamp', 'rn:att')
out[#out + 1] = head
out[#out + 1] = h[1] or 'v1'
out[#out + 1] = h[2]
out[#out + 1] = h[3] or '0'
out[#out + 1] = h[4] or '0'
-- A take by a worker that was idle (no finish) may find more free repositories waiting: wake
-- another idle worker (it finds 'busy' if not), so that idle workers fill up to K one after the
-- other. A worker that finishes and takes keeps the count in flight as it was: no wake-up.
if not f and held + 1 < t.k and redis.call('LLEN', KEYS[1]) > 0
  and not redis.call('HGET', KEYS[3], 'paused') then
  redis.call('ZADD', KEYS[9], 0, '0')
end
return out
`);
