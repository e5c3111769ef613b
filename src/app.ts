/**
 * The one place everything is wired together. Roles are switches: the all-in-one runs ingest
 * and workers (and, with no Redis configured, a private redis-server); `ingest` and `work`
 * processes run one role each, as many of them as you like, on any hosts.
 */
import { consoleOpenWarning, warnAboutIngest } from './app-warnings.js';
import { enabledEndpoints } from './config/types.js';
import type { EndpointSettings, RegnotifyConfig } from './config/types.js';
import { startEmbeddedRedis } from './embedded/redis-server.js';
import { toError } from './errors.js';
import { configuredFilter, endpointFilter, resolveEndpoints } from './console/endpoints.js';
import { Console } from './console/ops.js';
import { createConsoleApiHandler } from './http/console-api.js';
import { createDashboardHandler } from './http/dashboard.js';
import { createIngestHandler } from './http/ingest.js';
import { createOpsHandler, redisCheck, workersCheck } from './http/ops.js';
import { startHttpServer } from './http/server.js';
import type { HttpHandler, RunningHttpServer } from './http/server.js';
import type { Logger } from './log.js';
import { createExpvar } from './metrics/expvar.js';
import { cachedStatsReader, createMetrics } from './metrics/prometheus.js';
import {
  checkRedisServer,
  checkReplicas,
  createRedisClient,
  waitReady,
} from './queue/connection.js';
import type { RedisClient } from './queue/connection.js';
import { EpochWatch } from './queue/epoch.js';
import type { HistoryLimits } from './queue/history.js';
import { MemoryWatch } from './queue/memory.js';
import { DurableSink } from './queue/producer.js';
import type { ProducerEndpoint } from './queue/producer.js';
import { endpointKeys } from './queue/names.js';
import { ensureReserve } from './queue/reserve.js';
import { readEndpointStats } from './queue/stats.js';
import { throttledLog } from './queue/throttle.js';
import { EndpointWorker } from './queue/worker.js';
import type { DeliveryEndpoint } from './queue/worker.js';
import { formatHooks } from './queue/delivery-format.js';
import { redisSettings, usesEmbeddedRedis } from './redis-settings.js';

export interface AppRoles {
  ingest: boolean;
  workers: boolean;
}

export interface App {
  readonly redisUrl: string;
  /** The ingest/ops listener, when one runs. */
  readonly httpUrl: string | undefined;
  readonly sink: DurableSink | undefined;
  /**
   * Stops everything, newest first: the listeners stop taking events, the workers finish the
   * delivery in flight, and the Redis connections close last. Idempotent: every call returns
   * the same promise (a signal and a fatal error may both ask).
   */
  close(): Promise<void>;
}

export interface StartAppOptions {
  config: RegnotifyConfig;
  roles: AppRoles;
  logger: Logger;
  /** Something the app cannot recover from (the embedded Redis keeps dying): stop the process. */
  onFatal?: (err: Error) => void;
}

/**
 * A producer write that got no answer in time may sit on a dead TCP connection (a network
 * partition drops packets, nothing resets the socket, and after it heals TCP's retransmission
 * backoff can keep the old socket silent for many seconds). Start a new connection instead,
 * at most once a second, so the ingest answers 200 again within about a second of the heal.
 */
function reconnectOnTimeout(client: RedisClient, logger: Logger): () => void {
  let last = 0;
  return () => {
    if (Date.now() - last < 1000) return;
    last = Date.now();
    logger.warn('a Redis write timed out: reconnecting the ingest connection');
    client.disconnect(true);
  };
}

export function producerEndpoint(ep: EndpointSettings): ProducerEndpoint {
  return { name: ep.name, ...endpointFilter(ep) };
}

/** What the console keeps of each endpoint's deliveries (the `console` section). */
export interface DeliveryRecords {
  history: HistoryLimits;
  deadLettersMax: number;
}

export function deliveryRecords(config: RegnotifyConfig): DeliveryRecords {
  const c = config.console;
  return {
    history: { maxAttempts: c.historyMaxAttempts, maxAgeMs: c.historyMaxAgeMs },
    deadLettersMax: c.deadLettersMax,
  };
}

export function deliveryEndpoint(
  ep: EndpointSettings,
  readAhead: number,
  records?: DeliveryRecords,
): DeliveryEndpoint {
  const tls = ep.tls;
  return {
    name: ep.name,
    url: ep.url,
    http: {
      timeoutMs: ep.timeoutMs,
      retryAfterMaxMs: ep.retryAfterMaxMs,
      headers: ep.headers,
      tls: {
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        insecureSkipVerify: tls.insecureSkipVerify,
      },
    },
    policy: {
      threshold: ep.threshold,
      backoffMs: ep.backoffMs,
      maxBatch: ep.maxBatch,
      readAhead,
      maxRetries: ep.maxRetries,
      maxAgeMs: ep.maxAgeMs,
      retryAfter: ep.retryAfter,
      mediaType: ep.mediaType,
      ...formatHooks(ep),
      ...records,
    },
    ordering: ep.ordering,
    concurrency: ep.concurrency,
    ...(ep.rateLimit.max > 0 && { rateLimit: ep.rateLimit }),
  };
}

export async function startApp(options: StartAppOptions): Promise<App> {
  const { config, logger } = options;
  // The command picks the roles; `ingest.enabled` / `workers.enabled` can switch one off.
  const roles = {
    ingest: options.roles.ingest && config.ingest.enabled,
    workers: options.roles.workers && config.workers.enabled,
  };
  const closers: (() => Promise<unknown>)[] = [];
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const fn of [...closers].reverse()) {
        await fn().catch((err: unknown) =>
          logger.error({ err: toError(err) }, 'error while stopping'),
        );
      }
    })();
    return closing;
  };
  try {
    let redisUrl = config.redis.url;
    if (usesEmbeddedRedis(config)) {
      const own = await startEmbeddedRedis({
        ...config.redis.embedded,
        logger,
        ...(options.onFatal ? { onFatal: options.onFatal } : {}),
      });
      closers.push(() => own.stop());
      redisUrl = own.url;
    }
    const settings = redisSettings(config, redisUrl);
    const clients: RedisClient[] = [];
    // A Redis that is down makes each client retry twice a second: one line per 5 s is enough.
    const connectionLog = throttledLog(logger);
    const client = (role: 'producer' | 'worker') => {
      const c = createRedisClient(settings, role);
      c.on('error', (err: unknown) =>
        connectionLog('warn', { role, err: toError(err) }, 'redis connection error'),
      );
      clients.push(c);
      return c;
    };
    closers.push(async () => Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect()))));

    const endpoints = enabledEndpoints(config);
    const names = endpoints.map((ep) => ep.name);
    // One connection that waits out outages, shared by every delivery worker of this process
    // (BullMQ's advice) and by the watches, stats reads and health checks.
    const workerConnection = client('worker');
    await waitReady(workerConnection, Math.max(10_000, config.redis.connectTimeoutMs * 2));
    for (const warning of await checkRedisServer(workerConnection)) logger.warn(warning);
    if (roles.ingest) {
      for (const warning of await checkReplicas(workerConnection, config.redis.waitReplicas)) {
        logger.warn(warning);
      }
    }
    // One cached, single-flight read per endpoint, shared by /metrics and /debug/vars.
    const readStats = cachedStatsReader(
      (name: string) => readEndpointStats(workerConnection, config.redis.prefix, name),
      { cacheMs: config.metrics.cacheMs },
    );
    const metrics = createMetrics({ endpoints: names, readStats });
    // How full Redis is (the ingest refuses before it is full; workers keep their reserve) and
    // whether it lost its data (an error line and a metric, never silence).
    const memory = new MemoryWatch({
      client: workerConnection,
      prefix: config.redis.prefix,
      endpoints: names,
      headroomPercent: config.redis.writeHeadroomPercent,
      logger,
    });
    await memory.start();
    closers.push(async () => memory.stop());
    const epochs = new EpochWatch({
      client: workerConnection,
      prefix: config.redis.prefix,
      endpoints: names,
      logger,
      onLoss: (endpoint) => metrics.observeDataLoss(endpoint),
    });
    await epochs.start();
    closers.push(async () => epochs.stop());

    const workers: EndpointWorker[] = [];
    if (roles.workers) {
      // The loader has checked that every name in workers.endpoints is a configured endpoint.
      const wanted = config.workers.endpoints;
      const selected = endpoints.filter((ep) => wanted.length === 0 || wanted.includes(ep.name));
      for (const ep of selected) {
        const worker = new EndpointWorker({
          connection: workerConnection,
          prefix: config.redis.prefix,
          endpoint: deliveryEndpoint(ep, config.workers.prefetch, deliveryRecords(config)),
          tuning: {
            lockDurationMs: config.workers.lockDurationMs,
            stalledIntervalMs: config.workers.stalledIntervalMs,
          },
          logger,
          memory,
          reserveBytes: config.redis.reserveBytes,
          onDeliveryError: (endpoint) => metrics.observeDeliveryError(endpoint),
        });
        closers.push(() => worker.close());
        await worker.start();
        workers.push(worker);
      }
      logger.info({ endpoints: selected.map((ep) => ep.name) }, 'delivery workers started');
    }

    const ops = createOpsHandler({
      logger,
      metrics,
      expvar: createExpvar({ endpoints, readStats }),
      access: { token: config.metrics.token, ingest: config.ingest.auth },
      checks: [
        redisCheck(workerConnection),
        ...(roles.workers ? [workersCheck(() => workers.every((w) => w.running))] : []),
      ],
    });
    // The operator console (dashboard + JSON API) beside health and metrics, on a connection
    // of its own whose commands time out: a Redis outage answers 503 instead of hanging.
    const opsHandlers: HttpHandler[] = [ops];
    if (config.console.enabled && (roles.ingest || config.metrics.addr)) {
      const consoleClient = client('producer');
      await waitReady(consoleClient, Math.max(10_000, config.redis.connectTimeoutMs * 2));
      opsHandlers.push(
        createConsoleApiHandler({
          console: new Console({
            client: consoleClient,
            prefix: config.redis.prefix,
            resolve: (named) => resolveEndpoints(consoleClient, config, named),
            filterOf: (name) => configuredFilter(config, name),
          }),
          access: {
            token: config.console.token || config.metrics.token,
            ingest: config.ingest.auth,
          },
          readOnly: config.console.readOnly,
          logger,
        }),
        createDashboardHandler(),
      );
    }
    let sink: DurableSink | undefined;
    const httpTimeouts = {
      headersTimeoutMs: config.ingest.headersTimeoutMs,
      requestTimeoutMs: config.ingest.requestTimeoutMs,
    };
    let server: RunningHttpServer | undefined;
    if (roles.ingest) {
      const producer = client('producer');
      await waitReady(producer, Math.max(10_000, config.redis.connectTimeoutMs * 2));
      sink = new DurableSink({
        client: producer,
        prefix: config.redis.prefix,
        endpoints: endpoints.map(producerEndpoint),
        dedupeWindowMs: config.redis.dedupeWindowMs,
        dedupeMaxIds: config.redis.dedupeMaxIds,
        waitReplicas: config.redis.waitReplicas,
        waitTimeoutMs: config.redis.waitTimeoutMs,
        memory,
        onTimeout: reconnectOnTimeout(producer, logger),
      });
      for (const name of names) {
        await ensureReserve(
          producer,
          endpointKeys(config.redis.prefix, name),
          config.redis.reserveBytes,
        ).catch((err: unknown) =>
          logger.warn({ endpoint: name, err: toError(err) }, 'could not create the memory reserve'),
        );
      }
      const s = sink;
      closers.push(() => s.close());
      const ingest = createIngestHandler({
        sink,
        path: config.ingest.path,
        maxBodyBytes: config.ingest.maxBodyBytes,
        maxInFlightBytes: config.ingest.maxInFlightBytes,
        maxInFlightEvents: config.ingest.maxInFlightEvents,
        maxConcurrentRequests: config.ingest.maxConcurrentRequests,
        maxEventsPerRequest: config.ingest.maxEventsPerRequest,
        auth: config.ingest.auth,
        logger,
        observe: metrics.observeIngest,
      });
      server = await startHttpServer({
        addr: config.ingest.addr,
        handlers: [ingest, ...opsHandlers],
        logger,
        ...httpTimeouts,
      });
      const srv = server;
      closers.push(() => srv.close());
      logger.info({ url: srv.url, path: config.ingest.path }, 'ingest listening');
      warnAboutIngest(logger, config.notifications.endpoints, {
        addr: config.ingest.addr,
        port: srv.port,
        path: config.ingest.path,
        url: srv.url,
      });
    }
    if (config.console.enabled) {
      const { token, username, password } = config.ingest.auth;
      const credentials = Boolean(
        config.console.token || config.metrics.token || token || (username && password),
      );
      const readOnly = config.console.readOnly;
      const listeners = [roles.ingest ? config.ingest.addr : '', config.metrics.addr];
      for (const addr of listeners.filter((a) => a !== '')) {
        const warning = consoleOpenWarning(addr, { credentials, readOnly });
        if (warning !== undefined) logger.warn(warning);
      }
    }
    if (config.metrics.addr) {
      const opsServer = await startHttpServer({
        addr: config.metrics.addr,
        handlers: opsHandlers,
        logger,
        ...httpTimeouts,
      });
      closers.push(() => opsServer.close());
      logger.info({ url: opsServer.url }, 'health and metrics listening');
    }
    return { redisUrl, httpUrl: server?.url, sink, close };
  } catch (err) {
    await close();
    throw err;
  }
}
