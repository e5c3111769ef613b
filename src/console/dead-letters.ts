/**
 * An endpoint's dead letters: listed, replayed (put back at the end of its queue) or dropped,
 * one by one or all. The list is written by delivery (src/queue/delivery-run.ts deadLetter →
 * the finish script in src/queue/scripts.ts), newest first, one JSON entry per event.
 */
import type { RedisClient } from '../queue/connection.js';
import { endpointKeys, jobIdFor } from '../queue/names.js';
import type { EndpointKeys } from '../queue/names.js';
import { LuaScript, addScript } from '../queue/scripts.js';
import { DeadLetterNotFoundError } from './errors.js';
import { summarize, targetText } from './summary.js';

/** One entry as delivery stores it. */
export interface StoredDeadLetter {
  /** The event's id. */
  id: string;
  /** Its job id in the queue (absent in entries written before 0.2). */
  jobId?: string;
  layout: string;
  raw: string;
  acceptedAt: number;
  /** Failed attempts when it was given up. */
  attempts: number;
  /** Why it was given up (`maxretries`, `maxage`) and the last error. */
  reason: string;
  detail: string;
  at: number;
}

/** An entry with what the operator recognises the event by, read from its stored text. */
export interface DeadLetter extends StoredDeadLetter {
  action: string;
  /** `repository:tag`, or `repository@digest`. */
  target: string;
}

/** Which dead letters an operation acts on: all, or those with these event (or job) ids. */
export type Selection = { all: true } | { ids: readonly string[] };

/** Dead letters handled per round trip (Lua arguments are held in memory at once). */
const CHUNK = 500;

/**
 * Removes entries by their exact text (LREM), so entries pushed meanwhile are untouched and an
 * entry two operators remove at once is removed (and counted) once.
 *   KEYS: dead, metrics   ARGV: counter field ('' = none), entries…   → removed
 */
const removeScript = new LuaScript(`
local removed = 0
for i = 2, #ARGV do removed = removed + redis.call('LREM', KEYS[1], 1, ARGV[i]) end
if ARGV[1] ~= '' and removed > 0 then redis.call('HINCRBY', KEYS[2], ARGV[1], removed) end
return removed
`);

function parse(entry: string): DeadLetter {
  const stored = JSON.parse(entry) as StoredDeadLetter;
  const s = summarize(stored.raw);
  return { ...stored, action: s.action, target: targetText(s) };
}

/** Dead letters of an endpoint, oldest first: all, or the newest `limit`. */
export async function deadLetters(
  client: RedisClient,
  prefix: string,
  name: string,
  limit = 0,
): Promise<DeadLetter[]> {
  const key = endpointKeys(prefix, name).dead;
  const entries = (await client.lrange(key, 0, limit > 0 ? limit - 1 : -1)) as string[];
  return entries.reverse().map(parse);
}

/** The entries `selection` names, oldest first; throws (changing nothing) when an id has none. */
async function select(
  client: RedisClient,
  prefix: string,
  name: string,
  selection: Selection,
): Promise<{ entry: string; letter: DeadLetter }[]> {
  const entries = (await client.lrange(endpointKeys(prefix, name).dead, 0, -1)) as string[];
  const all = entries.reverse().map((entry) => ({ entry, letter: parse(entry) }));
  if ('all' in selection) return all;
  const wanted = new Set(selection.ids);
  const chosen = all.filter(
    ({ letter }) => wanted.has(letter.id) || wanted.has(letter.jobId ?? ''),
  );
  const found = new Set(chosen.flatMap(({ letter }) => [letter.id, letter.jobId ?? '']));
  const missing = [...wanted].filter((id) => !found.has(id));
  if (missing.length > 0) throw new DeadLetterNotFoundError(name, missing);
  return chosen;
}

/** Takes `entries` off the list; counts those removed in the metrics field `counter` ('' = none). */
async function remove(
  client: RedisClient,
  k: EndpointKeys,
  entries: readonly string[],
  counter: string,
): Promise<number> {
  return Number(await removeScript.run(client, [k.dead, k.metrics], [counter, ...entries]));
}

/**
 * Puts the selected dead letters back at the end of the endpoint's queue (oldest first, as
 * new events: their age for `maxage` starts again), then takes them off the list and counts
 * them as `replayed` (stats subtract it, so a replayed event counts once in `events`). Stored
 * before removed: a crash in between leaves an event both pending and dead, never neither.
 */
export async function replayDeadLetters(
  client: RedisClient,
  prefix: string,
  name: string,
  selection: Selection,
): Promise<{ replayed: number; ids: string[] }> {
  const chosen = await select(client, prefix, name, selection);
  const k = endpointKeys(prefix, name);
  let replayed = 0;
  for (let i = 0; i < chosen.length; i += CHUNK) {
    const chunk = chosen.slice(i, i + CHUNK);
    const args: (string | number)[] = [k.base, Date.now(), 0, 0, '{"attempts":0}', '0'];
    // The job id from the event's bytes (never from a stored field: see names.ts jobIdFor).
    for (const { letter } of chunk) args.push(jobIdFor(letter.raw), letter.layout, letter.raw);
    await addScript.run(client, [k.wait, k.meta, k.active, k.marker, k.seen], args);
    replayed += await remove(
      client,
      k,
      chunk.map((c) => c.entry),
      'replayed',
    );
  }
  return { replayed, ids: chosen.map((c) => c.letter.id) };
}

/** Deletes the selected dead letters for good. */
export async function dropDeadLetters(
  client: RedisClient,
  prefix: string,
  name: string,
  selection: Selection,
): Promise<{ dropped: number; ids: string[] }> {
  const chosen = await select(client, prefix, name, selection);
  const k = endpointKeys(prefix, name);
  let dropped = 0;
  for (let i = 0; i < chosen.length; i += CHUNK) {
    dropped += await remove(
      client,
      k,
      chosen.slice(i, i + CHUNK).map((c) => c.entry),
      '',
    );
  }
  return { dropped, ids: chosen.map((c) => c.letter.id) };
}
