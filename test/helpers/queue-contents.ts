/**
 * What an endpoint's queue holds, read straight from Redis without assuming how job ids are
 * made from event ids: the wait list `<prefix>:{ep-<name>}:wait` (BullMQ pushes on the left and
 * takes from the right, so reversed it is FIFO order), and for each job id in it the job hash
 * `<prefix>:{ep-<name>}:<jobId>`, field `data` (the event's bytes, see rawFromStored) and
 * `name` (its layout). Anything that is not that shape is reported, not skipped.
 */
import type { Redis } from 'ioredis';
import { rawFromStored } from '../../src/queue/layout.js';
import { queueName } from '../../src/queue/names.js';

export interface QueuedEvent {
  jobId: string;
  /** BullMQ job name: the layout (`v1` / `v2`). */
  layout: string;
  raw: string;
}

export function queueKeyBase(prefix: string, endpoint: string): string {
  return `${prefix}:${queueName(endpoint)}:`;
}

/** The events waiting for `endpoint`, oldest first. Throws, saying why, on a malformed queue. */
export async function queuedEvents(
  redis: Redis,
  prefix: string,
  endpoint: string,
): Promise<QueuedEvent[]> {
  const base = queueKeyBase(prefix, endpoint);
  const waitType = await redis.type(`${base}wait`);
  if (waitType !== 'list' && waitType !== 'none')
    throw new Error(`${base}wait is a ${waitType}, not a list`);
  const ids = (await redis.lrange(`${base}wait`, 0, -1)).reverse();
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.type(`${base}${id}`).hmget(`${base}${id}`, 'data', 'name');
  const replies = (await pipeline.exec()) ?? [];
  return ids.map((jobId, i) => {
    const [typeErr, type] = replies[2 * i] ?? [];
    const [dataErr, fields] = replies[2 * i + 1] ?? [];
    const where = `job ${JSON.stringify(short(jobId))} listed in ${base}wait`;
    if (typeErr || type !== 'hash')
      throw new Error(`${where}: its key is a ${String(type ?? typeErr)}, not a job hash`);
    const [data, name] = (fields as (string | null)[] | undefined) ?? [];
    if (dataErr || data === null || data === undefined)
      throw new Error(`${where}: no data field (${String(dataErr ?? 'missing')})`);
    return { jobId, layout: name ?? '', raw: rawFromStored(data) };
  });
}

/** The Redis type each of BullMQ's (6.7) per-queue keys has, when it exists. */
export const BullMQKeyTypes: Readonly<Record<string, string>> = {
  wait: 'list',
  paused: 'list',
  active: 'list',
  'waiting-children': 'zset',
  meta: 'hash',
  id: 'string',
  delayed: 'zset',
  prioritized: 'zset',
  'stalled-check': 'string',
  completed: 'zset',
  failed: 'zset',
  stalled: 'set',
  repeat: 'zset',
  limiter: 'string',
  events: 'stream',
  pc: 'string',
  marker: 'zset',
  // Prefixes only (`de:<id>`, `metrics:completed`): never keys of their own.
  de: 'none',
  metrics: 'none',
  // regnotify's own (src/queue/names.ts).
  'rn:breaker': 'hash',
  'rn:metrics': 'hash',
  'rn:dead': 'list',
};

/** Each of the queue's own keys that exists with another type than its own, described. */
export async function keyTypeProblems(
  redis: Redis,
  prefix: string,
  endpoint: string,
): Promise<string[]> {
  const base = queueKeyBase(prefix, endpoint);
  const names = Object.keys(BullMQKeyTypes);
  const pipeline = redis.pipeline();
  for (const name of names) pipeline.type(`${base}${name}`);
  const replies = (await pipeline.exec()) ?? [];
  const problems: string[] = [];
  names.forEach((name, i) => {
    const type = String(replies[i]?.[1]);
    const expected = BullMQKeyTypes[name];
    if (type !== 'none' && type !== expected)
      problems.push(`${base}${name} is a ${type}, expected ${expected ?? '?'}`);
  });
  return problems;
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
