import type { Event, EventsMediaTypeName } from '../events/types.js';
import {
  EndpointMetricsRecorder,
  expvarEndpoint,
  expvarJson,
} from '../metrics/endpoint-metrics.js';
import type { EndpointMetrics } from '../metrics/endpoint-metrics.js';
import { endpointTiming } from './defaults.js';
import { EventQueue } from './event-queue.js';
import { HttpSink } from './http.js';
import type { HttpSinkOptions } from './http.js';
import { newIgnoredSink } from './ignored.js';
import { silentLogger } from '../log.js';
import type { Logger } from '../log.js';
import { Breaker, RetryingSink } from './retrying.js';
import type { Clock, Sleep } from './retrying.js';
import type { Sink } from './sink.js';
import { displayUrl } from './url-display.js';

/** The original's EndpointConfig (docs/compatibility.md §5), with units in the names. */
export interface EndpointConfig {
  headers?: Record<string, string[]>;
  timeoutMs?: number;
  threshold?: number;
  backoffMs?: number;
  ignoredMediaTypes?: string[];
  ignore?: { mediaTypes?: string[]; actions?: string[] };
  mediaType?: EventsMediaTypeName;
  tls?: HttpSinkOptions['tls'];
}

export type ResolvedEndpointConfig = EndpointConfig & {
  timeoutMs: number;
  threshold: number;
  backoffMs: number;
};

/** Go's `defaults()`: unset, zero or negative timeout 1s, threshold 10, backoff 1s. */
export function endpointDefaults(config: EndpointConfig): ResolvedEndpointConfig {
  return { ...config, ...endpointTiming(config) };
}

export interface EndpointDeps {
  logger?: Logger;
  /** The breaker's clock. */
  clock?: Clock;
  /** The retrying sink's backoff wait. */
  sleep?: Sleep;
  /** Passed to the HTTP sink instead of its own Agent. */
  dispatcher?: HttpSinkOptions['dispatcher'];
}

/**
 * The in-memory pipeline of one notification endpoint, as Go's NewEndpoint builds it:
 * ignore filter → unbounded queue → retrying (breaker) → one HTTP attempt. Writes never block
 * and succeed while the endpoint is open; events live in memory only (the durable path is
 * src/queue). `close` drains the queue, then closes everything below it.
 */
export class Endpoint implements Sink {
  readonly config: ResolvedEndpointConfig;
  private readonly metrics = new EndpointMetricsRecorder();
  private readonly sink: Sink;

  constructor(
    readonly name: string,
    readonly url: string,
    config: EndpointConfig = {},
    deps: EndpointDeps = {},
  ) {
    this.config = endpointDefaults(config);
    const c = this.config;
    const logger = deps.logger ?? silentLogger;
    const http = new HttpSink(url, {
      timeoutMs: c.timeoutMs,
      listeners: [this.metrics],
      ...(c.headers && { headers: c.headers }),
      ...(c.mediaType && { mediaType: c.mediaType }),
      ...(c.tls && { tls: c.tls }),
      ...(deps.dispatcher && { dispatcher: deps.dispatcher }),
    });
    const breaker = new Breaker(c.threshold, c.backoffMs, deps.clock);
    const retrying = new RetryingSink(http, breaker, {
      logger,
      ...(deps.sleep && { sleep: deps.sleep }),
    });
    const queue = new EventQueue(retrying, [this.metrics], logger);
    const mediaTypes = [...(c.ignore?.mediaTypes ?? []), ...(c.ignoredMediaTypes ?? [])];
    this.sink = newIgnoredSink(queue, mediaTypes, c.ignore?.actions ?? []);
    registry.push(this);
  }

  write(event: Event): Promise<void> {
    return this.sink.write(event);
  }

  /**
   * Drains the queue (as long as delivery takes), closes the pipeline, and takes the endpoint
   * out of the expvar list. Go never unregisters an endpoint; we do, so a process that closes
   * endpoints (tests, reconfiguration) does not report dead ones for ever.
   */
  async close(): Promise<void> {
    try {
      await this.sink.close();
    } finally {
      const i = registry.indexOf(this);
      if (i >= 0) registry.splice(i, 1);
    }
  }

  readMetrics(): EndpointMetrics {
    return this.metrics.snapshot();
  }

  toString(): string {
    return `endpoint{${this.name}: ${displayUrl(this.url)}}`;
  }
}

// Go registers every endpoint in a package-level expvar list; this is that list.
const registry: Endpoint[] = [];

/** Open endpoints, in creation order. */
export function registeredEndpoints(): readonly Endpoint[] {
  return [...registry];
}

/** `registry.notifications` as Go's /debug/vars shows it (`null` endpoints before any exist). */
export function expvarEndpoints(): string {
  return expvarJson(registry.map((e) => expvarEndpoint(e.name, e.url, e.config, e.readMetrics())));
}
