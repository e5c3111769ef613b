import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import { HttpPoster } from '../sinks/http-post.js';
import type { HttpPostOptions } from '../sinks/http-post.js';
import type { RedisClient } from './connection.js';
import { makeProcessor, makeStrictRunner, readWindow } from './delivery.js';
import type { DeliveryDeps, DeliveryPolicy } from './delivery.js';
import { parallelWorker } from './event-worker.js';
import type { EventWorker } from './event-worker.js';
import type { MemoryWatch } from './memory.js';
import { endpointKeys, queueName } from './names.js';
import { RateLimiter } from './rate-limit.js';
import type { RateLimit } from './rate-limit.js';
import { RefusalHandler } from './refusals.js';
import type { Pausable } from './refusals.js';
import { EndpointStore } from './store.js';
import { RepoLoops } from './repo-loops.js';
import { repoAdvanceScript } from './repo-scripts.js';
import { StrictLoop } from './strict-loop.js';
import type { StrictLoopOptions } from './strict-loop.js';
import { StrictStore } from './strict-store.js';

export interface DeliveryEndpoint {
  name: string;
  url: string;
  /** `dispatcher` only in-process (tests, embedding): it does not travel through config. */
  http: Omit<HttpPostOptions, 'listeners'>;
  policy: DeliveryPolicy;
  /**
   * `strict`: one delivery in flight for the endpoint, across all processes, in order;
   * `repository`: in order per repository, one at a time each, `concurrency` repositories at once.
   */
  ordering: 'strict' | 'parallel' | 'repository';
  /** Deliveries in flight with `parallel` or `repository` ordering, across all processes. */
  concurrency: number;
  /** At most `max` POSTs (retries included) per `perMs`, across every process; unset = none. */
  rateLimit?: RateLimit;
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
 * How many waiting jobs, from the head, a take of an `ordering: repository` endpoint looks at
 * for one of a free repository: bounds the script's work (each is read and parsed in Lua) when
 * the oldest events all belong to repositories in flight; jobs further back wait their turn.
 */
const REPO_SCAN = 256;

/**
 * Delivers one endpoint's queue. Any number of these, in any number of processes, may serve
 * the same endpoint: a strict endpoint has one delivery at a time (its head job is locked in
 * `active`; strict-loop.ts), and the breaker's backoff (BullMQ's rate-limit key) binds them
 * all. A parallel endpoint is served by a BullMQ Worker (the queue's global concurrency); a
 * `repository` one by `concurrency` strict loops taking through repo-scripts.ts (repo-loops.ts).
 * A rate limit (rate-limit.ts) is waited for before every POST, whatever the ordering.
 */
export class EndpointWorker {
  /** Strict order: our own loop on BullMQ's layout (one round trip per run); per repository: K. */
  private readonly loop: StrictLoop | RepoLoops | undefined;
  /** Parallel: a BullMQ Worker. */
  private readonly worker: EventWorker | undefined;
  private readonly queue: Queue;
  private readonly poster: HttpPoster;
  private readonly logger: Logger;
  private readonly refusals: RefusalHandler;
  private readonly stopping = new AbortController();
  private closed: Promise<void> | undefined;
  private prepareTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: EndpointWorkerOptions) {
    const { endpoint, connection, prefix, tuning } = options;
    const logger = options.logger.child({ endpoint: endpoint.name });
    // Every loop and POST of the endpoint (K of each with repository ordering) waits on it.
    setMaxListeners(0, this.stopping.signal);
    this.logger = logger;
    const strict = endpoint.ordering === 'strict';
    this.poster = new HttpPoster(endpoint.url, endpoint.http);
    const store = new EndpointStore(connection, prefix, endpoint.name);
    // Read-ahead and batching take the events after the head, which only one worker may hold:
    // with parallel ordering each job is delivered on its own.
    const policy: DeliveryPolicy = strict
      ? endpoint.policy
      : { ...endpoint.policy, readAhead: 1, maxBatch: 1 };
    const limiter =
      endpoint.rateLimit && new RateLimiter(connection, store.keys.rate, endpoint.rateLimit);
    const deps: DeliveryDeps = {
      policy,
      store,
      logger,
      post: (body, o) => this.poster.post(body, o),
      stopping: this.stopping.signal,
      onError: (err) => options.onDeliveryError?.(endpoint.name, err),
      ...(limiter && { pace: (signal: AbortSignal) => limiter.acquire(signal) }),
    };
    // Keep BullMQ's events stream short (nobody reads it) — the Queue writes this into meta.
    this.queue = new Queue(queueName(endpoint.name), {
      connection,
      prefix,
      streams: { events: { maxLen: 100 } },
    });
    this.queue.on('error', (err) => this.refusals.onError(err, 'queue error'));
    const name = `${hostname()}:${process.pid}`;
    let pausable: Pausable;
    const loopOptions = (strictStore: StrictStore): StrictLoopOptions => ({
      connection,
      store: strictStore,
      lockDurationMs: tuning.lockDurationMs,
      idleMs: tuning.stalledIntervalMs,
      window: readWindow(policy),
      name,
      records: policy,
      deliver: makeStrictRunner(deps),
      logger,
      onError: (err, what) => this.refusals.onError(err, what),
      stopping: this.stopping.signal,
    });
    if (strict) {
      pausable = this.loop = new StrictLoop(loopOptions(new StrictStore(connection, store.keys)));
    } else if (endpoint.ordering === 'repository') {
      const k = endpoint.concurrency;
      const take = { k, scan: REPO_SCAN };
      const loops = Array.from(
        { length: k },
        () =>
          new StrictLoop(
            loopOptions(new StrictStore(connection, store.keys, repoAdvanceScript, take)),
          ),
      );
      pausable = this.loop = new RepoLoops(loops);
    } else {
      pausable = this.worker = parallelWorker({
        queue: queueName(endpoint.name),
        connection,
        prefix,
        concurrency: endpoint.concurrency,
        tuning,
        name,
        processor: makeProcessor(deps),
        logger,
        onError: (err) => this.refusals.onError(err, 'worker error'),
      });
    }
    this.refusals = new RefusalHandler({
      worker: pausable,
      connection,
      keys: endpointKeys(prefix, endpoint.name),
      endpoint: endpoint.name,
      logger,
      memory: options.memory,
      reserveBytes: options.reserveBytes,
    });
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
      await this.worker?.waitUntilReady();
    }
    this.refusals.start();
  }

  private run(): void {
    this.refusals.running = true;
    this.loop?.run();
    void this.worker?.run().catch((err: unknown) => {
      this.logger.error({ err: toError(err) }, 'worker stopped');
    });
  }

  private get keys() {
    return endpointKeys(this.options.prefix, this.options.endpoint.name);
  }

  get running(): boolean {
    const taking = this.loop?.isRunning() ?? this.worker?.isRunning() ?? false;
    return this.refusals.running && (taking || this.refusals.pausing);
  }

  /** Finishes the POST in flight (no new one starts), then stops. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping.abort();
      this.refusals.stop();
      clearInterval(this.prepareTimer);
      await this.loop?.close();
      await this.worker?.close();
      await this.queue.close();
      await this.poster.close();
    })();
    return this.closed;
  }
}
