import { Queue } from 'bullmq';
import { rawEvent } from '../events/encode.js';
import { EventsMediaType } from '../events/types.js';
import type { Event, EventsMediaTypeName } from '../events/types.js';
import { SinkClosedError, StoreUnavailableError, toError } from '../errors.js';
import type { Sink } from '../sinks/sink.js';
import type { RedisClient } from './connection.js';
import { jobIdFor, queueName } from './names.js';
import { jobData, layoutName } from './layout.js';
import { eventFilter } from '../sinks/filter.js';
import type { EventFilter } from '../sinks/filter.js';

export interface ProducerEndpoint extends EventFilter {
  name: string;
}

export interface DurableSinkOptions {
  /** A `producer` connection (no offline queue, command timeout): see connection.ts. */
  client: RedisClient;
  prefix: string;
  endpoints: readonly ProducerEndpoint[];
  /** Layout for events written with `write()` (the bridge's typed events). Default v1. */
  mediaType?: EventsMediaTypeName;
  /** Cap of BullMQ's per-queue events stream (we do not consume it; keep it small). */
  eventsMaxLen?: number;
  /** Connection trouble is also reported per write (as StoreUnavailableError); this logs it. */
  onError?: (err: Error, endpoint: string) => void;
}

interface PendingAdd {
  jobs: { name: string; data: unknown; opts: { jobId: string } }[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** One endpoint's queue, with the adds of concurrent callers coalesced into one addBulk. */
class QueueWriter {
  private pending: PendingAdd[] = [];
  private scheduled = false;

  constructor(
    readonly name: string,
    readonly accepts: (event: Event) => boolean,
    readonly queue: Queue,
  ) {}

  add(jobs: PendingAdd['jobs']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ jobs, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      await this.queue.addBulk(batch.flatMap((p) => p.jobs));
      for (const p of batch) p.resolve();
    } catch (err) {
      const error = new StoreUnavailableError(
        `could not store events for endpoint ${this.name}: ${toError(err).message}`,
        { cause: err },
      );
      for (const p of batch) p.reject(error);
    }
  }
}

/**
 * The durable sink: a write resolves only once every endpoint that wants the event has it in
 * Redis (one BullMQ queue per endpoint), and rejects with StoreUnavailableError when Redis
 * cannot take it — never a silent acceptance. The event id is the job id, so a retried write
 * of a still-pending event is stored once.
 */
export class DurableSink implements Sink {
  private readonly writers: QueueWriter[];
  private readonly mediaType: EventsMediaTypeName;
  private closed = false;

  constructor(options: DurableSinkOptions) {
    this.mediaType = options.mediaType ?? EventsMediaType;
    this.writers = options.endpoints.map((ep) => {
      const queue = new Queue(queueName(ep.name), {
        connection: options.client,
        prefix: options.prefix,
        streams: { events: { maxLen: options.eventsMaxLen ?? 100 } },
      });
      queue.on('error', (err: Error) => options.onError?.(err, ep.name));
      return new QueueWriter(ep.name, eventFilter(ep), queue);
    });
  }

  get endpointNames(): string[] {
    return this.writers.map((w) => w.name);
  }

  write(event: Event): Promise<void> {
    return this.writeMany([event], this.mediaType).then(() => undefined);
  }

  /**
   * Stores `events` (in order) for every endpoint whose filters accept them. Resolves with the
   * number stored per endpoint; rejects if any endpoint's store failed (the caller retries the
   * whole batch: ids already stored are not stored twice).
   */
  async writeMany(
    events: readonly Event[],
    mediaType: EventsMediaTypeName = this.mediaType,
  ): Promise<Record<string, number>> {
    if (this.closed) throw new SinkClosedError();
    const name = layoutName(mediaType);
    const stored: Record<string, number> = {};
    // Encoded once per event, however many endpoints want it.
    const encoded = new Map<Event, unknown>();
    const dataOf = (e: Event) => {
      let r = encoded.get(e);
      if (r === undefined) encoded.set(e, (r = jobData(rawEvent(e, mediaType))));
      return r;
    };
    await Promise.all(
      this.writers.map((w) => {
        const wanted = events.filter(w.accepts);
        stored[w.name] = wanted.length;
        if (wanted.length === 0) return undefined;
        return w.add(
          wanted.map((e) => ({ name, data: dataOf(e), opts: { jobId: jobIdFor(e.id) } })),
        );
      }),
    );
    return stored;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The connection is the caller's: Queue.close() does not close a shared client.
    await Promise.all(this.writers.map((w) => w.queue.close()));
  }
}
