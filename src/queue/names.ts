import { createHash } from 'node:crypto';

/**
 * Redis names. Every key of one endpoint carries the hash tag `{ep-<name>}`, so on Redis
 * Cluster an endpoint's queue, breaker, metrics and dead letters live in one slot (our Lua
 * scripts touch them together) while different endpoints spread over the cluster.
 *
 *   <prefix>:{ep-<name>}:wait | active | meta | marker | limiter | events   (BullMQ's)
 *   <prefix>:{ep-<name>}:e-<…>          one pending event (a BullMQ job hash; see jobIdFor)
 *   <prefix>:{ep-<name>}:rn:breaker    hash: recent, last (ms), until (ms)
 *   <prefix>:{ep-<name>}:rn:metrics    hash: successes, failures, errors, delivered, dead, s:<code text>
 *   <prefix>:{ep-<name>}:rn:dead       list: dead-lettered events, newest first (JSON)
 *   <prefix>:{ep-<name>}:rn:seen       zset: job ids accepted recently (the dedupe window), by time
 *   <prefix>:{ep-<name>}:rn:epoch      string: set once; its absence means Redis lost its data
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
  readonly breaker: string;
  readonly metrics: string;
  readonly dead: string;
  readonly seen: string;
  readonly epoch: string;
  readonly reserve: string;
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
    breaker: `${base}rn:breaker`,
    metrics: `${base}rn:metrics`,
    dead: `${base}rn:dead`,
    seen: `${base}rn:seen`,
    epoch: `${base}rn:epoch`,
    reserve: `${base}rn:reserve`,
    job: (id) => `${base}${id}`,
  };
}

/** Event ids short and plain enough to show inside a job id, for a readable `redis-cli`. */
const READABLE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/**
 * The BullMQ job id of an event: `e-<event id>.<content digest>` (the id part only when it is
 * short and plain; else `e-.<digest>`). The digest is 128 bits of SHA-256 over the event's
 * stored bytes, so
 * - an id from outside never names or shadows a queue key (every job id starts with `e-`, no
 *   `:`, never an integer — BullMQ refuses those), whatever its text;
 * - an identical re-send (a registry retry) maps to the same job and is stored once;
 * - two different events that share an id (or a re-used id) are two jobs: nothing is folded.
 */
export function jobIdFor(eventId: string, raw: string): string {
  const digest = createHash('sha256').update(raw).digest('hex').slice(0, 32);
  return `e-${READABLE_ID.test(eventId) ? eventId : ''}.${digest}`;
}
