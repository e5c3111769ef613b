/**
 * The operator console's operations — what `regnotify stats|dead|replay|pause|resume` and the
 * JSON API (src/http/console-api.ts) do — as functions of a Redis client, so the CLI and the API
 * share one implementation. They print nothing themselves.
 */
import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/connection.js';
import { jobData } from '../queue/layout.js';
import { endpointKeys, queueName } from '../queue/names.js';
import { readEndpointStats } from '../queue/stats.js';
import type { EndpointStats } from '../queue/stats.js';

export interface DeadLetter {
  /** The event's id. */
  id: string;
  /** Its job id in the queue (absent in entries written before 0.2: then `id` is the job id). */
  jobId?: string;
  layout: string;
  raw: string;
  acceptedAt: number;
  attempts: number;
  reason: string;
  detail: string;
  at: number;
}

export async function endpointStats(
  client: RedisClient,
  prefix: string,
  names: readonly string[],
): Promise<EndpointStats[]> {
  return Promise.all(names.map((name) => readEndpointStats(client, prefix, name)));
}

/** Dead letters of an endpoint, oldest first. */
export async function deadLetters(
  client: RedisClient,
  prefix: string,
  name: string,
): Promise<DeadLetter[]> {
  const entries = (await client.lrange(endpointKeys(prefix, name).dead, 0, -1)) as string[];
  return entries.reverse().map((e) => JSON.parse(e) as DeadLetter);
}

/**
 * Puts an endpoint's dead letters back at the end of its queue (oldest first), then removes
 * exactly those entries from the dead-letter list. Returns how many were replayed.
 */
export async function replayDeadLetters(
  client: RedisClient,
  prefix: string,
  name: string,
): Promise<number> {
  const keys = endpointKeys(prefix, name);
  const entries = (await client.lrange(keys.dead, 0, -1)) as string[];
  if (entries.length === 0) return 0;
  const letters = [...entries].reverse().map((e) => JSON.parse(e) as DeadLetter);
  const queue = new Queue(queueName(name), { connection: client, prefix });
  try {
    await queue.addBulk(
      letters.map((d) => ({
        name: d.layout,
        data: jobData(d.raw),
        opts: { jobId: d.jobId ?? d.id },
      })),
    );
  } finally {
    await queue.close();
  }
  // Newer dead letters may have arrived meanwhile (LPUSHed at the head): trim only ours.
  await client.ltrim(keys.dead, 0, -(entries.length + 1));
  return letters.length;
}

export async function setPaused(
  client: RedisClient,
  prefix: string,
  name: string,
  paused: boolean,
): Promise<void> {
  const queue = new Queue(queueName(name), { connection: client, prefix });
  try {
    if (paused) await queue.pause();
    else await queue.resume();
  } finally {
    await queue.close();
  }
}
