import { createHash } from 'node:crypto';

/**
 * Redis names. Every key of one endpoint carries the hash tag `{ep-<name>}`, so on Redis
 * Cluster an endpoint's queue, breaker, metrics and dead letters live in one slot (our Lua
 * scripts touch them together) while different endpoints spread over the cluster.
 *
 *   <prefix>:{ep-<name>}:wait | active | meta | marker | limiter | stalled | events   (BullMQ's)
 *   <prefix>:{ep-<name>}:e-<digest>     one pending event (a BullMQ job hash; see jobIdFor)
 *   <prefix>:{ep-<name>}:rn:breaker    hash: recent, last (ms), until (ms)
 *   <prefix>:{ep-<name>}:rn:metrics    hash: successes, failures, errors, delivered, dead, replayed,
 *                                      s:<code text>
 *   <prefix>:{ep-<name>}:rn:dead       list: dead-lettered events, newest first (JSON)
 *   <prefix>:{ep-<name>}:rn:history  stream: every delivery attempt, bounded (history.ts)
 *   <prefix>:{ep-<name>}:rn:seen       zset: job ids accepted recently (the dedupe window), by time
 *   <prefix>:{ep-<name>}:rn:epoch      string: set once; its absence means Redis lost its data
 *   <prefix>:{ep-<name>}:rn:rate       zset: the rate limit's sliding log, one member per POST
 *                                      granted within the last `per` (see rate-limit.ts)
 *   <prefix>:{ep-<name>}:rn:reserve    string: memory held back so that delivery can always
 *                                      start on a full Redis (see memory.ts)
 *
 * Names that come from outside (event ids) never become a key by themselves: a job id always
 * starts with `e-`, which no BullMQ or regnotify key of the queue does.
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
  readonly marker: string;
  readonly events: string;
  readonly limiter: string;
  readonly stalled: string;
  readonly breaker: string;
  readonly metrics: string;
  readonly dead: string;
  readonly history: string;
  readonly seen: string;
  readonly epoch: string;
  readonly reserve: string;
  readonly rate: string;
  job(id: string): string;
}

export function endpointKeys(prefix: string, endpoint: string): EndpointKeys {
  const base = `${prefix}:${queueName(endpoint)}:`;
  return {
    base,
    wait: `${base}wait`,
    active: `${base}active`,
    meta: `${base}meta`,
    marker: `${base}marker`,
    events: `${base}events`,
    limiter: `${base}limiter`,
    stalled: `${base}stalled`,
    breaker: `${base}rn:breaker`,
    metrics: `${base}rn:metrics`,
    dead: `${base}rn:dead`,
    history: `${base}rn:history`,
    seen: `${base}rn:seen`,
    epoch: `${base}rn:epoch`,
    reserve: `${base}rn:reserve`,
    rate: `${base}rn:rate`,
    job: (id) => `${base}${id}`,
  };
}

/**
 * The BullMQ job id of an event: `e-` and 128 bits of SHA-256 over the event's stored bytes, in
 * base64url (24 characters in all). So
 * - an id from outside never names or shadows a queue key: every job id starts with `e-`, which
 *   no BullMQ or regnotify key of the queue does, holds no `:` and is never an integer (BullMQ
 *   refuses those), whatever the event's id;
 * - an identical re-send (a registry retry) maps to the same job and is stored once;
 * - two different events that share an id (or a re-used id) are two jobs: nothing is folded.
 * The event id itself is not in the job id: each byte of it would be stored three times per
 * pending event (key name, wait list, dedupe window); it is in the job's `data`.
 */
export function jobIdFor(raw: string): string {
  return `e-${createHash('sha256').update(raw).digest('base64url').slice(0, 22)}`;
}
