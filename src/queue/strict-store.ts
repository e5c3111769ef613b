import { NoReplyError, ScriptReplyError } from '../errors.js';
import type { RedisClient } from './connection.js';
import { rawFromStored } from './layout.js';
import type { EndpointKeys } from './names.js';
import type { FinishSpec, StoredEvent } from './store.js';
import type { LuaScript } from './scripts.js';
import { advanceScript, extendLockScript } from './strict-scripts.js';

/** The end of a strict run (strict-loop.ts): the head job it held and what the run did. */
export interface RunEnd extends FinishSpec {
  head: string;
  token: string;
  /** The head was delivered or dead-lettered: delete it; else put it back at the head. */
  done: boolean;
}

/** Taking the head job (and reading the events after it), on BullMQ's layout. */
export interface TakeSpec {
  token: string;
  lockMs: number;
  now: number;
  /** Events to read: the head and up to count − 1 after it. */
  count: number;
  /** The worker's name, BullMQ's `pb` (processed by). */
  name: string;
}

const TakeStates = ['events', 'empty', 'busy', 'paused', 'limited', 'none'] as const;
export type TakeState = (typeof TakeStates)[number];

/** The take's state as the advance script names it (exported for its test). */
export function takeState(reply: unknown): TakeState {
  const state = TakeStates.find((s) => s === reply);
  if (state === undefined) throw new ScriptReplyError('advance script', `state ${String(reply)}`);
  return state;
}

/** What an advance found. The events are as stored: see storedEvents() to read them. */
export interface Advanced {
  /** The finished run's head was still ours. */
  owned: boolean;
  /** The finished run's read-ahead events were removed (else left in place: sent again). */
  removed: boolean;
  state: TakeState;
  /** With `limited`: ms until the rate limit (the breaker's backoff) ends. */
  pttl: number;
  /** Ids in `wait` without a job (nothing to deliver) that the take dropped. */
  skipped: number;
  /** The oldest dead letters the finish dropped to keep the list within its cap. */
  deadDropped: number;
  /** With `events`: the head first, then the events after it, flattened (5 fields each). */
  reply: readonly unknown[];
}

/** The limiter's max of every worker (see worker.ts): a rate limit only the breaker sets. */
const MAX_JOBS = Number.MAX_SAFE_INTEGER;

/** The events of a take's reply, their stored text made the event's bytes (may throw). */
export function storedEvents(reply: readonly unknown[]): StoredEvent[] {
  const events: StoredEvent[] = [];
  for (let i = 0; i + 4 < reply.length; i += 5) {
    events.push({
      id: String(reply[i]),
      layout: String(reply[i + 1]),
      raw: rawFromStored(String(reply[i + 2])),
      acceptedAt: Number(reply[i + 3]),
      attempts: Number(reply[i + 4]),
    });
  }
  return events;
}

function advanced(reply: readonly unknown[]): Advanced {
  return {
    owned: Number(reply[0]) === 1,
    removed: Number(reply[1]) === 1,
    state: takeState(reply[2]),
    pttl: Number(reply[3]),
    skipped: Number(reply[4]),
    deadDropped: Number(reply[5]),
    reply: reply.slice(6),
  };
}

/**
 * The strict worker's access to one endpoint's queue (strict-loop.ts; strict-scripts.ts). With
 * `ordering: repository` the same loop runs repo-scripts.ts, which takes the same keys and
 * arguments (plus `takeExtra` in the take) and answers alike.
 */
export class StrictStore {
  constructor(
    private readonly client: RedisClient,
    readonly keys: EndpointKeys,
    private readonly script: LuaScript = advanceScript,
    private readonly takeExtra: Readonly<Record<string, number>> = {},
  ) {}

  /** Finishes a strict run and/or takes the next head (strict-scripts.ts), in one round trip. */
  async advance(spec: { finish?: RunEnd; take?: TakeSpec }): Promise<Advanced> {
    const reply = (await this.script.run(this.client, this.advanceKeys(), [
      this.keys.base,
      this.advanceSpec(spec),
    ])) as unknown[];
    return advanced(reply);
  }

  /**
   * Blocks on BullMQ's marker for at most `timeoutS` on `blocking` (a connection of its own),
   * then takes: both in one write, Redis runs the take as soon as the pop returns (or times
   * out), and both answers come back together.
   */
  async takeAfterMarker(
    blocking: RedisClient,
    timeoutS: number,
    take: TakeSpec,
  ): Promise<Advanced> {
    const keys = this.advanceKeys();
    const args = [this.keys.base, this.advanceSpec({ take })];
    const pipe = blocking.pipeline();
    pipe.bzpopmin(this.keys.marker, timeoutS);
    pipe.call('EVALSHA', this.script.ref('EVALSHA'), keys.length, ...keys, ...args);
    const replies = (await pipe.exec()) ?? [];
    const [popError] = replies[0] ?? [new NoReplyError('BZPOPMIN')];
    if (popError) throw popError;
    const [error, reply] = replies[1] ?? [new NoReplyError('the advance script')];
    if (error?.message.startsWith('NOSCRIPT')) return this.advance({ take });
    if (error) throw error;
    return advanced(reply as unknown[]);
  }

  private advanceKeys(): string[] {
    const k = this.keys;
    return [
      k.wait,
      k.active,
      k.meta,
      k.limiter,
      k.stalled,
      k.breaker,
      k.metrics,
      k.dead,
      k.marker,
      k.history,
    ];
  }

  private advanceSpec(spec: { finish?: RunEnd; take?: TakeSpec }): string {
    const take = spec.take && { ...spec.take, ...this.takeExtra, maxJobs: MAX_JOBS };
    return JSON.stringify({ finish: spec.finish, take });
  }

  /** Renews the head's lock; false when it is no longer ours. */
  async extendLock(jobId: string, token: string, lockMs: number): Promise<boolean> {
    const reply = await extendLockScript.run(
      this.client,
      [`${this.keys.job(jobId)}:lock`, this.keys.stalled],
      [token, lockMs, jobId],
    );
    return Number(reply) === 1;
  }
}
