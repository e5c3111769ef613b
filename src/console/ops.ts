/**
 * The operator console's operations — what `regnotify stats|dead|replay|pause|resume` and the
 * JSON API (src/http/console-api.ts) do — bound to one Redis client, so the CLI and the API
 * share one implementation. They print nothing themselves.
 */
import { Queue } from 'bullmq';
import type { RedisClient } from '../queue/connection.js';
import { readHistory } from '../queue/history.js';
import type { Attempt } from '../queue/history.js';
import { endpointKeys, queueName } from '../queue/names.js';
import { readEndpointStats } from '../queue/stats.js';
import type { EventFilter } from '../sinks/filter.js';
import type { EndpointStats } from '../queue/stats.js';
import { deadLetters, dropDeadLetters, replayDeadLetters } from './dead-letters.js';
import type { DeadLetter, Selection } from './dead-letters.js';
import { ConsoleRequestError } from './errors.js';
import { trace } from './trace.js';
import type { EventTrace } from './trace.js';

export type { DeadLetter, Selection } from './dead-letters.js';
export type { Attempt } from '../queue/history.js';
export type { EventTrace } from './trace.js';

/**
 * `ok`; `failing`: the last attempts failed (`backoffRemainingMs` > 0 while every worker
 * waits); `paused` by an operator.
 */
export type EndpointState = 'ok' | 'failing' | 'paused';

/** An endpoint's cluster-wide numbers with its state, as the console shows them. */
export interface EndpointView extends EndpointStats {
  state: EndpointState;
}

export function stateOf(s: Pick<EndpointStats, 'paused' | 'recentFailures'>): EndpointState {
  if (s.paused) return 'paused';
  return s.recentFailures > 0 ? 'failing' : 'ok';
}

export async function endpointStats(
  client: RedisClient,
  prefix: string,
  names: readonly string[],
): Promise<EndpointView[]> {
  return Promise.all(
    names.map(async (name) => {
      const s = await readEndpointStats(client, prefix, name);
      return { ...s, state: stateOf(s) };
    }),
  );
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

export interface ConsoleOptions {
  client: RedisClient;
  prefix: string;
  /**
   * The endpoints an operation acts on: those `named` (each checked: UnknownEndpointError,
   * naming the known ones), or every known one when none is named (./endpoints.ts
   * resolveEndpoints). Asked on every call: the set may change.
   */
  resolve: (named: readonly string[]) => Promise<string[]>;
  /** A configured endpoint's filter, for the trace (see trace.ts). */
  filterOf?: (endpoint: string) => EventFilter | undefined;
}

/** Every operation of the console, each checking the endpoint it names first. */
export class Console {
  constructor(private readonly options: ConsoleOptions) {}

  endpointNames(): Promise<readonly string[]> {
    return this.options.resolve([]);
  }

  /** Throws UnknownEndpointError (naming the known ones) unless `name` is known. */
  async known(name: string): Promise<string> {
    await this.options.resolve([name]);
    return name;
  }

  /** Every known endpoint (or those named, each checked). */
  async endpoints(names: readonly string[] = []): Promise<EndpointView[]> {
    const { client, prefix } = this.options;
    return endpointStats(client, prefix, await this.options.resolve(names));
  }

  async endpoint(name: string): Promise<EndpointView> {
    const [view] = await this.endpoints([name]);
    return view!;
  }

  /** Oldest first: all, or the newest `limit`. */
  async deadLetters(name: string, limit = 0): Promise<DeadLetter[]> {
    return deadLetters(this.options.client, this.options.prefix, await this.known(name), limit);
  }

  async replay(name: string, selection: Selection): Promise<{ replayed: number; ids: string[] }> {
    const { client, prefix } = this.options;
    return replayDeadLetters(client, prefix, await this.known(name), selection);
  }

  async drop(name: string, selection: Selection): Promise<{ dropped: number; ids: string[] }> {
    const { client, prefix } = this.options;
    return dropDeadLetters(client, prefix, await this.known(name), selection);
  }

  async setPaused(name: string, paused: boolean): Promise<EndpointView> {
    await setPaused(this.options.client, this.options.prefix, await this.known(name), paused);
    return this.endpoint(name);
  }

  /** Recent attempts, newest first: at most `limit` (1–1000), older than the cursor `before`. */
  async history(name: string, limit = 50, before?: string): Promise<Attempt[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new ConsoleRequestError(`limit: expected an integer from 1 to 1000, got ${limit}`);
    }
    if (before !== undefined && !/^\d+-\d+$/.test(before)) {
      throw new ConsoleRequestError(
        `before: expected a cursor such as 1764500000000-0, got "${before}"`,
      );
    }
    const keys = endpointKeys(this.options.prefix, await this.known(name));
    return readHistory(this.options.client, keys, limit, before);
  }

  /** Where the events matching `query` are, on every known endpoint. */
  async trace(query: string): Promise<EventTrace[]> {
    if (query.trim() === '') {
      throw new ConsoleRequestError('trace: give an event id, repository[:tag] or digest');
    }
    const { client, prefix } = this.options;
    const { filterOf } = this.options;
    return trace(
      client,
      prefix,
      await this.options.resolve([]),
      query,
      filterOf ? { filterOf } : {},
    );
  }
}
