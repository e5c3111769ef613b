import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { LockLostError, toError } from '../errors.js';
import type { Logger } from '../log.js';
import { HttpPoster } from '../sinks/http-post.js';
import type { HttpPostOptions } from '../sinks/http-post.js';
import type { RedisClient } from './connection.js';
import { makeProcessor } from './delivery.js';
import type { DeliveryPolicy, DeliveryProcessor } from './delivery.js';
import { EventWorker } from './event-worker.js';
import type { HeadJob } from './event-worker.js';
import type { MemoryWatch } from './memory.js';
import { endpointKeys, queueName } from './names.js';
import { RefusalHandler } from './refusals.js';
import { EndpointStore } from './store.js';

export interface DeliveryEndpoint {
  name: string;
  url: string;
  /** `dispatcher` only in-process (tests, embedding): it does not travel through config. */
  http: Omit<HttpPostOptions, 'listeners'>;
  policy: DeliveryPolicy;
  /** `strict`: one delivery in flight for the endpoint, across all processes, in order. */
  ordering: 'strict' | 'parallel';
  /** Deliveries in flight with `parallel` ordering. */
  concurrency: number;
}

export interface WorkerTuning {
  /** A crashed worker's job is taken over after about lockDuration + 2 × stalledInterval. */
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export interface EndpointWorkerOptions {
  /** A `worker` connection (maxRetriesPerRequest: null), shared by the process's workers. */
  connection: RedisClient;
  prefix: string;
  endpoint: DeliveryEndpoint;
  tuning: WorkerTuning;
  logger: Logger;
  /** How full Redis is (shared by the process); keeps the endpoint's memory reserve. */
  memory?: MemoryWatch;
  /** Size of the endpoint's memory reserve (see reserve.ts); 0 = none. */
  reserveBytes?: number;
  /**
   * A delivery run failed on something unexpected (Redis trouble, a bug) and was logged; the
   * event stays at the head of the queue. The app counts it (regnotify_delivery_errors_total).
   */
  onDeliveryError?: (endpoint: string, err: Error) => void;
}

/**
 * Delivers one endpoint's queue. Any number of these, in any number of processes, may serve
 * the same endpoint: the queue's global concurrency keeps strict endpoints to one delivery at
 * a time, and the breaker's backoff (BullMQ's rate-limit key) binds them all.
 */
export class EndpointWorker {
  private readonly worker: EventWorker;
  private readonly queue: Queue;
  private readonly poster: HttpPoster;
  private readonly inFlight = new Map<string, AbortController>();
  private readonly logger: Logger;
  private readonly refusals: RefusalHandler;
  private readonly stopping = new AbortController();
  private closed: Promise<void> | undefined;
  private prepareTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: EndpointWorkerOptions) {
    const { endpoint, connection, prefix, tuning } = options;
    const logger = options.logger.child({ endpoint: endpoint.name });
    this.logger = logger;
    const strict = endpoint.ordering === 'strict';
    this.poster = new HttpPoster(endpoint.url, endpoint.http);
    const store = new EndpointStore(connection, prefix, endpoint.name);
    // Read-ahead and batching take the events after the head, which only one worker may hold:
    // with parallel ordering each job is delivered on its own.
    const policy: DeliveryPolicy = strict
      ? endpoint.policy
      : { ...endpoint.policy, readAhead: 1, maxBatch: 1 };
    const processor = makeProcessor({
      policy,
      store,
      logger,
      post: (body, o) => this.poster.post(body, o),
      stopping: this.stopping.signal,
      onError: (err) => options.onDeliveryError?.(endpoint.name, err),
    });
    // Keep BullMQ's events stream short (nobody reads it) — the Queue writes this into meta.
    this.queue = new Queue(queueName(endpoint.name), {
      connection,
      prefix,
      streams: { events: { maxLen: 100 } },
    });
    this.queue.on('error', (err) => this.refusals.onError(err, 'queue error'));
    this.worker = new EventWorker(
      queueName(endpoint.name),
      (job: HeadJob, token?: string, signal?: AbortSignal) =>
        this.track(job, token, signal, processor),
      {
        connection,
        prefix,
        autorun: false,
        concurrency: strict ? 1 : endpoint.concurrency,
        lockDuration: tuning.lockDurationMs,
        stalledInterval: tuning.stalledIntervalMs,
        // A crash mid-delivery must never fail the job (= lose the event): stalled jobs go back
        // to the head of the queue however often it happens.
        maxStalledCount: Number.MAX_SAFE_INTEGER,
        // Without a limiter, a worker ignores the rate limit another worker set; with an
        // unreachable max the limiter only ever carries the breaker's backoff.
        limiter: { max: Number.MAX_SAFE_INTEGER, duration: 1000 },
        // `true` (boolean) breaks completion in BullMQ 6.7 (test/contract/bullmq-mechanics.test.ts, f.); count 0 removes.
        removeOnComplete: { count: 0 },
        runRetryDelay: 1000,
        name: `${hostname()}:${process.pid}`,
      },
    );
    this.refusals = new RefusalHandler({
      worker: this.worker,
      connection,
      keys: endpointKeys(prefix, endpoint.name),
      endpoint: endpoint.name,
      logger,
      memory: options.memory,
      reserveBytes: options.reserveBytes,
    });
    this.worker.on('error', (err) => this.refusals.onError(err, 'worker error'));
    this.worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) {
        logger.warn({ jobId: id }, 'lost the lock of the event being delivered: aborting the POST');
        this.inFlight.get(id)?.abort(new LockLostError(id));
      }
    });
  }

  private async track(
    job: HeadJob,
    token: string | undefined,
    signal: AbortSignal | undefined,
    processor: DeliveryProcessor,
  ): Promise<void> {
    const controller = new AbortController();
    const id = job.id ?? '';
    this.inFlight.set(id, controller);
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    try {
      await processor(job, token, combined);
    } finally {
      this.inFlight.delete(id);
    }
  }

  /**
   * Makes sure the queue's global concurrency is set (a write only when it is not already),
   * then starts taking jobs. On a Redis so full that even that write is refused, the reserve
   * is released first; whatever happens, start() returns and the worker keeps trying.
   */
  async start(): Promise<void> {
    const { endpoint } = this.options;
    const want = endpoint.ordering === 'strict' ? 1 : endpoint.concurrency;
    const ready = async (): Promise<boolean> => {
      try {
        const have = await this.options.connection.hget(this.keys.meta, 'concurrency');
        if (Number(have) !== want) await this.queue.setGlobalConcurrency(want);
        return true;
      } catch (err) {
        this.refusals.onError(err, 'could not set the global concurrency; retrying');
        return false;
      }
    };
    if (!(await ready()) && !(await ready())) {
      // Not taking jobs without the concurrency in place (strict order depends on it).
      const retry = setInterval(() => {
        void ready().then((ok) => {
          if (ok && !this.stopping.signal.aborted) {
            clearInterval(retry);
            this.run();
          }
        });
      }, 2000);
      retry.unref();
      this.prepareTimer = retry;
    } else {
      this.run();
      await this.worker.waitUntilReady();
    }
    this.refusals.start();
  }

  private run(): void {
    this.refusals.running = true;
    void this.worker.run().catch((err: unknown) => {
      this.logger.error({ err: toError(err) }, 'worker stopped');
    });
  }

  private get keys() {
    return endpointKeys(this.options.prefix, this.options.endpoint.name);
  }

  get running(): boolean {
    return this.refusals.running && (this.worker.isRunning() || this.refusals.pausing);
  }

  /** Finishes the POST in flight (no new one starts), then stops. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping.abort();
      this.refusals.stop();
      clearInterval(this.prepareTimer);
      await this.worker.close();
      await this.queue.close();
      await this.poster.close();
    })();
    return this.closed;
  }
}
