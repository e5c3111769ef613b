/**
 * Lua fragments shared by the finish scripts. What every finish records of a delivery run:
 * the breaker reset when anything succeeded, the run's counters, its dead letters capped at
 * `deadMax` (the oldest dropped, counted in `dropped` and the metrics' `deadDropped`) and its
 * attempts appended to the history stream (history.ts), bounded by count and age. Used by the
 * parallel finish (scripts.ts) and by the strict and repository take-and-finish scripts
 * (strict-scripts.ts, repo-scripts.ts), which name the spec and the keys differently.
 *
 * The fragment expects a local `dropped` (0) in scope. It comes after the writes that free
 * memory (removing delivered jobs), so that on a full Redis it can still write.
 */
export interface RecordRunKeys {
  /** The Lua expression of the finish spec ({ reset, counts, dead, deadMax, history, …}). */
  spec: string;
  breaker: string;
  metrics: string;
  dead: string;
  history: string;
}

export function recordRunLua({ spec: f, breaker, metrics, dead, history }: RecordRunKeys): string {
  return `
  if ${f}.reset then redis.call('HSET', ${breaker}, 'recent', 0) end
  for field, n in pairs(${f}.counts) do
    redis.call('HINCRBY', ${metrics}, field, n)
  end
  for _, entry in ipairs(${f}.dead) do
    redis.call('LPUSH', ${dead}, entry)
  end
  local deadMax = tonumber(${f}.deadMax) or 0
  if deadMax > 0 and #${f}.dead > 0 then
    local over = redis.call('LLEN', ${dead}) - deadMax
    if over > 0 then
      redis.call('LTRIM', ${dead}, 0, deadMax - 1)
      redis.call('HINCRBY', ${metrics}, 'deadDropped', over)
      dropped = over
    end
  end
  local historyMax = tonumber(${f}.historyMax) or 0
  if historyMax > 0 and ${f}.history and #${f}.history > 0 then
    for _, entry in ipairs(${f}.history) do
      redis.call('XADD', ${history}, '*', 'a', entry)
    end
    redis.call('XTRIM', ${history}, 'MAXLEN', '~', historyMax)
    local minId = tonumber(${f}.historyMinId) or 0
    if minId > 0 then redis.call('XTRIM', ${history}, 'MINID', '~', minId) end
  end
`;
}

/** The take-and-finish scripts' keys: KEYS[6] breaker, [7] metrics, [8] dead, [10] history. */
export const RECORD_RUN_TAKE = recordRunLua({
  spec: 'f',
  breaker: 'KEYS[6]',
  metrics: 'KEYS[7]',
  dead: 'KEYS[8]',
  history: 'KEYS[10]',
});

/**
 * The take-and-finish scripts' release of the head job a run held (strict-scripts.ts,
 * repo-scripts.ts): if its lock is still the run's token, out of `active` (BullMQ's layout) —
 * writes that never grow memory, so on a full Redis what follows may still write — and
 * `owned` = 1. Expects locals `f` (the finish spec), `owned` (0) and `lockKey`.
 */
export const RELEASE_HEAD = `
  if redis.call('GET', lockKey) == f.token then
    owned = 1
    redis.call('LREM', KEYS[2], 1, f.head)
    redis.call('DEL', lockKey)
    redis.call('SREM', KEYS[5], f.head)
  end
`;

/** Then, if it was still the run's: deleted when done, else back at the head of `wait`. */
export const SETTLE_HEAD = `
  if owned == 1 then
    if f.done then
      redis.call('DEL', headKey, headKey .. ':logs')
    else
      redis.call('RPUSH', KEYS[1], f.head)
    end
  end
`;

/**
 * Removes the delivered events `ids` (oldest first) from the tail of the wait list `wait` and
 * deletes their job hashes — only if they are still exactly the tail (else nothing is removed
 * and `removed` is set to 0: they moved meanwhile and will be sent again). The deletions go in
 * one DEL per 500 keys, not one per job: each redis.call, and each command the AOF and replicas
 * get, costs as much as deleting a small job (a maxbatch-100 window is 400 jobs). Expects a
 * local `removed` (1) in scope; LTRIM and DEL never grow memory (a full Redis lets them run).
 */
export function removeDeliveredLua(wait: string, base: string, ids: string): string {
  return `  local m = #${ids}
  if m > 0 then
    local tail = redis.call('LRANGE', ${wait}, -m, -1)
    if #tail ~= m then removed = 0 end
    for i = 1, m do
      if removed == 1 and tail[m - i + 1] ~= ${ids}[i] then removed = 0 end
    end
    if removed == 1 then
      redis.call('LTRIM', ${wait}, 0, -(m + 1))
      local gone = {}
      for i = 1, m do
        gone[#gone + 1] = ${base} .. ${ids}[i]
        gone[#gone + 1] = ${base} .. ${ids}[i] .. ':logs'
        if #gone >= 500 or i == m then
          redis.call('DEL', unpack(gone))
          gone = {}
        end
      end
    end
  end
`;
}

/**
 * Puts back at the head of `wait` (as BullMQ's stalled checker does, without waiting for a
 * second check) every job in `active` whose lock is gone — its worker died — counting it in the
 * job's `stc`; `onHeld` is Lua run for each job still locked (its id in `id`).
 */
export function recoverStalledLua(
  k: { wait: string; active: string; stalled: string; base: string },
  onHeld = '',
): string {
  return `for _, id in ipairs(redis.call('LRANGE', ${k.active}, 0, -1)) do
  if redis.call('EXISTS', ${k.base} .. id .. ':lock') == 0 then
    redis.call('LREM', ${k.active}, 1, id)
    redis.call('SREM', ${k.stalled}, id)
    if redis.call('EXISTS', ${k.base} .. id) == 1 then
      redis.call('HINCRBY', ${k.base} .. id, 'stc', 1)
      redis.call('RPUSH', ${k.wait}, id)
    end
${onHeld ? `  else\n${onHeld}` : ''}  end
end
`;
}
