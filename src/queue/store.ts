import type { RedisClient } from './connection.js';
import { rawFromStored } from './layout.js';
import { endpointKeys } from './names.js';
import type { EndpointKeys } from './names.js';
import { failureScript, finishScript, peekScript } from './scripts.js';

/** An event as stored: its compact Go-JSON text and a little metadata. */
export interface StoredEvent {
  /** BullMQ job id (`e-` + a digest of the event's bytes, not its id: see names.ts). */
  id: string;
  /** `v1` / `v2`: the layout `raw` is encoded in. */
  layout: string;
  raw: string;
  /** When it was accepted (ms since epoch): BullMQ's job timestamp. */
  acceptedAt: number;
  /** Failed attempts so far. */
  attempts: number;
}

export interface FailureOutcome {
  recent: number;
  attempts: number;
  /** > 0: every worker of the endpoint now waits this long (the breaker's backoff). */
  waitMs: number;
}

export interface FinishSpec {
  /** Some attempt of this run succeeded after the last recorded failure. */
  reset: boolean;
  counts: Record<string, number>;
  /** Read-ahead job ids (head first) that were delivered or dead-lettered. */
  remove: string[];
  dead: string[];
  /** The run's attempts, a stream entry's value each (history.ts). */
  history?: string[];
  /** Bounds of the history stream: entries (0 = keep none), and the oldest id kept (ms; 0 = any). */
  historyMax?: number;
  historyMinId?: number;
  /** Dead letters kept at most (the oldest go); 0 = no cap. */
  deadMax?: number;
}

/** Delivery-side access to one endpoint's Redis state, a round trip per method. */
export class EndpointStore {
  readonly keys: EndpointKeys;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    readonly endpoint: string,
  ) {
    this.keys = endpointKeys(prefix, endpoint);
  }

  /** The breaker's count, the head's failed attempts, and up to `count` events after it. */
  async peek(
    headId: string,
    count: number,
  ): Promise<{ recent: number; headAttempts: number; next: StoredEvent[] }> {
    const reply = (await peekScript.run(
      this.client,
      [this.keys.wait, this.keys.breaker],
      [count, this.keys.base, headId],
    )) as (string | number)[];
    const next: StoredEvent[] = [];
    for (let i = 2; i + 4 < reply.length; i += 5) {
      next.push({
        id: String(reply[i]),
        layout: String(reply[i + 1]),
        raw: rawFromStored(String(reply[i + 2])),
        acceptedAt: Number(reply[i + 3]),
        attempts: Number(reply[i + 4]),
      });
    }
    return { recent: Number(reply[0]), headAttempts: Number(reply[1]), next };
  }

  async failure(
    jobId: string,
    options: {
      now: number;
      threshold: number;
      backoffMs: number;
      retryAfterMs: number;
      resetFirst: boolean;
    },
  ): Promise<FailureOutcome> {
    const [recent, attempts, waitMs] = (await failureScript.run(
      this.client,
      [this.keys.breaker, this.keys.limiter, this.keys.job(jobId)],
      [
        options.now,
        options.threshold,
        options.backoffMs,
        options.retryAfterMs,
        options.resetFirst ? '1' : '0',
      ],
    )) as number[];
    return { recent: recent ?? 0, attempts: attempts ?? 0, waitMs: waitMs ?? 0 };
  }

  /**
   * `removed` false: the read-ahead jobs were no longer next in line (left in place);
   * `deadDropped`: the oldest dead letters dropped to keep the list within its cap.
   */
  async finish(spec: FinishSpec): Promise<{ removed: boolean; deadDropped: number }> {
    const reply = (await finishScript.run(
      this.client,
      [this.keys.wait, this.keys.breaker, this.keys.metrics, this.keys.dead, this.keys.history],
      [this.keys.base, JSON.stringify(spec)],
    )) as number[];
    return { removed: Number(reply[0]) === 1, deadDropped: Number(reply[1] ?? 0) };
  }
}
