import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EndpointStats } from '../queue/stats.js';

/**
 * Prometheus metrics, on a dedicated Registry (never prom-client's global one, so tests and
 * embedding programs can hold several).
 *
 * The original's three series (docs/compatibility.md §6.3) keep their names, types and labels, but their
 * values are CLUSTER-WIDE: read from Redis at scrape time, so every regnotify process reports the
 * same numbers. Scrape one instance, or aggregate with max() — never sum() across instances.
 * regnotify's own queue series are cluster-wide too; the ingest series are per process (sum()).
 *
 * When Redis cannot be read at scrape time the Redis-derived series are left out (rather than
 * showing stale numbers), the process-local ones are still served, and `regnotify_redis_up` is 0.
 */
export interface MetricsOptions {
  endpoints: readonly string[];
  readStats: (name: string) => Promise<EndpointStats>;
  /** A scrape waits at most this long for Redis. Default 2 s. */
  statsTimeoutMs?: number;
  /** Also export prom-client's default process metrics (CPU, memory, event loop). Default false. */
  processMetrics?: boolean;
}

export interface IngestObservation {
  status: number;
  events: number;
  durationMs: number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** The exposition text (what GET /metrics serves). */
  metrics(): Promise<string>;
  /** The ingest handler's `observe` hook. */
  observeIngest(outcome: IngestObservation): void;
  /** Redis lost an endpoint's data (see queue/epoch.ts). */
  observeDataLoss(endpoint: string): void;
  /** A delivery run failed on something unexpected (EndpointWorker's onDeliveryError). */
  observeDeliveryError(endpoint: string): void;
}

/** Ingest latency is one parse plus one Redis round trip: 1–100 ms is the interesting range. */
export const IngestDurationBuckets = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const snapshot = snapshotReader(options);
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  registerClusterMetrics(registry, snapshot);
  const ingest = registerIngestMetrics(registry);
  const dataLoss = new Counter({
    name: 'regnotify_redis_data_loss_total',
    help: "Times this process found that Redis had lost an endpoint's data (its epoch key was gone or replaced: a restart without persistence, a FLUSHALL, a new node); events accepted before were lost.",
    labelNames: ['endpoint'],
    registers: [registry],
  });
  const deliveryErrors = new Counter({
    name: 'regnotify_delivery_errors_total',
    help: 'Delivery runs that failed on something unexpected (Redis trouble, a bug, a stored event that cannot be read); each is logged with its stack, the event stays at the head of its queue and the worker backs off before trying it again (this process)',
    labelNames: ['endpoint'],
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    observeIngest: (o) => {
      ingest.requests.inc({ code: String(o.status) });
      ingest.duration.observe(o.durationMs / 1000);
      if (o.status === 200) ingest.events.inc(o.events);
    },
    observeDataLoss: (endpoint) => dataLoss.inc({ endpoint }),
    observeDeliveryError: (endpoint) => deliveryErrors.inc({ endpoint }),
  };
}

export interface StatsCacheOptions {
  /** A read is reused this long after it completed; 0 = only shared while in flight. */
  cacheMs: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

/**
 * `read` (one Redis script per endpoint) cached and single-flight: callers asking for an
 * endpoint while its read is in flight share it, and a completed read is reused for `cacheMs`.
 * Wrap the reader once and give it to both /metrics and /debug/vars: however many scrapers,
 * Redis sees at most one read per endpoint per `cacheMs`. A failed read is not kept.
 */
export function cachedStatsReader(
  read: (name: string) => Promise<EndpointStats>,
  options: StatsCacheOptions,
): (name: string) => Promise<EndpointStats> {
  const now = options.now ?? (() => performance.now());
  const entries = new Map<string, { value: Promise<EndpointStats>; doneAt?: number }>();
  return (name) => {
    const cached = entries.get(name);
    if (cached && (cached.doneAt === undefined || now() - cached.doneAt < options.cacheMs)) {
      return cached.value;
    }
    const entry: { value: Promise<EndpointStats>; doneAt?: number } = { value: read(name) };
    entries.set(name, entry);
    entry.value.then(
      () => (entry.doneAt = now()),
      () => entries.get(name) === entry && entries.delete(name),
    );
    return entry.value;
  };
}

type Snapshot = () => Promise<EndpointStats[] | undefined>;

/**
 * One Redis read per scrape, shared by every collector: prom-client starts all `collect`
 * callbacks in the same tick, so they all join the read in flight. `undefined` = Redis down.
 */
function snapshotReader(options: MetricsOptions): Snapshot {
  let inFlight: Promise<EndpointStats[] | undefined> | undefined;
  const read = async (): Promise<EndpointStats[] | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), options.statsTimeoutMs ?? 2000);
    });
    try {
      const all = Promise.all(options.endpoints.map((name) => options.readStats(name)));
      return await Promise.race([all.catch(() => undefined), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/** The per-endpoint gauges: name, help, value. */
const EndpointGauges: readonly [string, string, (s: EndpointStats) => number][] = [
  ['registry_notifications_pending_total', 'The gauge of pending events in queue', (s) => s.pending],
  ['regnotify_oldest_pending_age_seconds', 'Age of the oldest undelivered event (cluster-wide)', (s) => s.oldestPendingAgeMs / 1000],
  ['regnotify_backoff_active', '1 while the endpoint is in backoff (cluster-wide)', (s) => (s.backoffRemainingMs > 0 ? 1 : 0)],
  ['regnotify_backoff_remaining_seconds', 'Time left in the current backoff (cluster-wide)', (s) => s.backoffRemainingMs / 1000],
  ['regnotify_consecutive_failures', 'Consecutive failed delivery attempts: the breaker count (cluster-wide)', (s) => s.recentFailures],
  ['regnotify_dead_letters', 'Events given up and kept in the dead-letter list (cluster-wide)', (s) => s.dead],
]; // prettier-ignore

/**
 * Each collector replaces its metric's values with the current snapshot's (reset first, so an
 * endpoint or status that vanished, or a Redis outage, leaves no stale series behind).
 */
function registerClusterMetrics(registry: Registry, snapshot: Snapshot): void {
  for (const [name, help, value] of EndpointGauges) {
    new Gauge({
      name,
      help,
      labelNames: ['endpoint'],
      registers: [registry],
      async collect() {
        const stats = await snapshot();
        this.reset();
        for (const s of stats ?? []) this.set({ endpoint: s.name }, value(s));
      },
    });
  }
  new Counter({
    name: 'registry_notifications_events_total',
    help: 'The number of total events',
    labelNames: ['endpoint', 'type'],
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const s of stats ?? []) {
        this.inc({ endpoint: s.name, type: 'Events' }, s.events);
        this.inc({ endpoint: s.name, type: 'Successes' }, s.successes);
        this.inc({ endpoint: s.name, type: 'Failures' }, s.failures);
        this.inc({ endpoint: s.name, type: 'Errors' }, s.errors);
      }
    },
  });
  new Counter({
    name: 'regnotify_dead_letters_dropped_total',
    help: 'Dead letters dropped, oldest first, to keep the list within console.deadLettersMax (cluster-wide)',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const s of stats ?? []) this.inc({ endpoint: s.name }, s.deadDropped);
    },
  });
  new Counter({
    name: 'registry_notifications_status_total',
    help: 'The number of status code',
    labelNames: ['code', 'endpoint'],
    registers: [registry],
    async collect() {
      const stats = await snapshot();
      this.reset();
      for (const s of stats ?? []) {
        for (const [code, n] of Object.entries(s.statuses)) this.inc({ code, endpoint: s.name }, n);
      }
    },
  });
  new Gauge({
    name: 'regnotify_redis_up',
    help: '1 if Redis answered at the last scrape, 0 if the cluster-wide series could not be read',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) === undefined ? 0 : 1);
    },
  });
}

function registerIngestMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'regnotify_ingest_requests_total',
      help: 'Requests to the ingest path, by HTTP status (this process)',
      labelNames: ['code'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'regnotify_ingest_request_duration_seconds',
      help: 'Time from request to answer on the ingest path, storing included (this process)',
      buckets: IngestDurationBuckets,
      registers: [registry],
    }),
    events: new Counter({
      name: 'regnotify_ingest_events_total',
      help: 'Events accepted (stored) by the ingest (this process)',
      registers: [registry],
    }),
  };
}
