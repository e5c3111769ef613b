import type { RedisClient } from './connection.js';
import type { EndpointKeys } from './names.js';

/**
 * The memory a full Redis needs before delivery can run again. With `noeviction`, Redis refuses
 * a script whose first write could grow memory (BullMQ taking a job is one) once maxmemory is
 * reached — but it still runs deletions. So each endpoint keeps a reserve: a plain string of
 * `bytes` in its slot, created while there is room, deleted by a worker that meets "OOM
 * command not allowed". The few kilobytes a delivery needs before it frees the event's memory
 * then exist, whoever filled Redis. Without a reserve, the worker gives up what regnotify
 * keeps only for convenience: the dedupe window and BullMQ's events stream.
 */
export async function ensureReserve(
  client: RedisClient,
  keys: EndpointKeys,
  bytes: number,
): Promise<boolean> {
  if (bytes <= 0 || (await client.exists(keys.reserve)) === 1) return false;
  const reply = await client.set(keys.reserve, Buffer.alloc(bytes, 0x2e), 'NX');
  return reply === 'OK';
}

/** What relieve() gave up, for the log line. */
export type Released = 'reserve' | 'dedupe window and events stream' | 'nothing';

export async function relieve(client: RedisClient, keys: EndpointKeys): Promise<Released> {
  if ((await client.del(keys.reserve)) === 1) return 'reserve';
  const [seen, events] = await Promise.all([client.del(keys.seen), client.del(keys.events)]);
  return seen + events > 0 ? 'dedupe window and events stream' : 'nothing';
}
