import { createHash } from 'node:crypto';

/**
 * Redis names. Every key of one endpoint carries the hash tag `{ep-<name>}`, so on Redis
 * Cluster an endpoint's queue, breaker, metrics and dead letters live in one slot (our Lua
 * scripts touch them together) while different endpoints spread over the cluster.
 *
 *   <prefix>:{ep-<name>}:wait | active | meta | marker | limiter | events | <jobId>   (BullMQ's)
 *   <prefix>:{ep-<name>}:rn:breaker    hash: recent, last (ms), until (ms)
 *   <prefix>:{ep-<name>}:rn:metrics    hash: successes, failures, errors, delivered, dead, s:<code text>
 *   <prefix>:{ep-<name>}:rn:dead       list: dead-lettered events, newest first (JSON)
 */
export const DefaultPrefix = 'regnotify';

export function queueName(endpoint: string): string {
  return `{ep-${endpoint}}`;
}

export interface EndpointKeys {
  /** BullMQ's key prefix for this queue: `<prefix>:{ep-x}:` */
  readonly base: string;
  readonly wait: string;
  readonly active: string;
  readonly meta: string;
  readonly limiter: string;
  readonly breaker: string;
  readonly metrics: string;
  readonly dead: string;
  job(id: string): string;
}

export function endpointKeys(prefix: string, endpoint: string): EndpointKeys {
  const base = `${prefix}:${queueName(endpoint)}:`;
  return {
    base,
    wait: `${base}wait`,
    active: `${base}active`,
    meta: `${base}meta`,
    limiter: `${base}limiter`,
    breaker: `${base}rn:breaker`,
    metrics: `${base}rn:metrics`,
    dead: `${base}rn:dead`,
    job: (id) => `${base}${id}`,
  };
}

/**
 * The BullMQ job id for an event: the event id itself when BullMQ accepts it (so `redis-cli`
 * shows it and a re-sent event is stored once), else a digest of it. BullMQ refuses ids that
 * look like integers or contain `:`.
 */
export function jobIdFor(eventId: string): string {
  if (/^[A-Za-z0-9._-]{1,100}$/.test(eventId) && !/^\d+$/.test(eventId)) return eventId;
  return `h-${createHash('sha256').update(eventId).digest('hex').slice(0, 40)}`;
}
