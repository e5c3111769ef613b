import { rawEvent } from '../events/encode.js';
import { EventsMediaType } from '../events/types.js';
import type { Event, EventsMediaTypeName } from '../events/types.js';
import { SinkClosedError } from '../errors.js';
import type { Sink } from '../sinks/sink.js';
import { eventFilter } from '../sinks/filter.js';
import type { EventFilter } from '../sinks/filter.js';
import type { RedisClient } from './connection.js';
import { layoutName } from './layout.js';
import type { MemoryWatch } from './memory.js';
import { EndpointWriter } from './endpoint-writer.js';
import type { Job } from './endpoint-writer.js';
import { jobIdFor } from './names.js';

export interface ProducerEndpoint extends EventFilter {
  name: string;
}

/** An event with its compact Go-JSON text in the layout it is stored in. */
export interface EncodedEvent {
  event: Event;
  raw: string;
}

/** Per endpoint: events newly stored, and events that were already there (or recently). */
export interface StoreOutcome {
  stored: Record<string, number>;
  duplicates: Record<string, number>;
}

export interface DurableSinkOptions {
  /** A `producer` connection (no offline queue, command timeout): see connection.ts. */
  client: RedisClient;
  prefix: string;
  endpoints: readonly ProducerEndpoint[];
  /** Layout for events written with `write()` (the bridge's typed events). Default v1. */
  mediaType?: EventsMediaTypeName;
  /** An identical event accepted within this window is not stored again. Default 1 h. */
  dedupeWindowMs?: number;
  /** …remembering at most this many ids per endpoint (0 = no window). Default 10,000. */
  dedupeMaxIds?: number;
  /** Acknowledge only once this many replicas confirmed the write (Redis WAIT). Default 0. */
  waitReplicas?: number;
  waitTimeoutMs?: number;
  /** Refuses new events while Redis is near full (see memory.ts). */
  memory?: MemoryWatch;
  /** A write failed for lack of an answer in time: the connection may be dead (see app.ts). */
  onTimeout?: () => void;
}

/**
 * The durable sink: a write resolves only once every endpoint that wants the event has it in
 * Redis — and, with `waitReplicas`, on that many replicas — and rejects with a
 * StoreUnavailableError (or StoreFullError / StoreNotReplicatedError) otherwise: never a
 * silent acceptance. Concurrent writes to one endpoint are coalesced into one script call
 * (endpoint-writer.ts).
 */
export class DurableSink implements Sink {
  private readonly writers: EndpointWriter[];
  private readonly mediaType: EventsMediaTypeName;
  private closed = false;

  constructor(options: DurableSinkOptions) {
    this.mediaType = options.mediaType ?? EventsMediaType;
    this.writers = options.endpoints.map(
      (ep) => new EndpointWriter(ep.name, eventFilter(ep), options),
    );
  }

  get endpointNames(): string[] {
    return this.writers.map((w) => w.name);
  }

  async write(event: Event): Promise<void> {
    await this.writeMany([event], this.mediaType);
  }

  /** Encodes `events` in `mediaType`, then stores them as writeEncoded does. */
  writeMany(
    events: readonly Event[],
    mediaType: EventsMediaTypeName = this.mediaType,
  ): Promise<StoreOutcome> {
    return this.writeEncoded(
      events.map((event) => ({ event, raw: rawEvent(event, mediaType) })),
      mediaType,
    );
  }

  /**
   * Stores `events` (in order) for every endpoint whose filters accept them. Rejects if any
   * endpoint's store failed; the caller retries the whole batch, and what was stored the first
   * time is not stored twice (same job id, and the dedupe window).
   */
  async writeEncoded(
    events: readonly EncodedEvent[],
    mediaType: EventsMediaTypeName,
  ): Promise<StoreOutcome> {
    if (this.closed) throw new SinkClosedError();
    const name = layoutName(mediaType);
    const outcome: StoreOutcome = { stored: {}, duplicates: {} };
    let jobs: Job[] | undefined;
    const jobOf = (e: EncodedEvent, i: number): Job => {
      // One digest per event, however many endpoints want it.
      jobs ??= events.map((x) => ({ id: jobIdFor(x.raw), name, data: x.raw }));
      return jobs[i]!;
    };
    await Promise.all(
      this.writers.map(async (w) => {
        const wanted = events.flatMap((e, i) => (w.accepts(e.event) ? [jobOf(e, i)] : []));
        const flags = wanted.length === 0 ? [] : await w.add(wanted);
        const stored = flags.filter((f) => f === 1).length;
        outcome.stored[w.name] = stored;
        outcome.duplicates[w.name] = wanted.length - stored;
      }),
    );
    return outcome;
  }

  async close(): Promise<void> {
    this.closed = true; // the connection is the caller's
  }
}
