import { compactGo } from '../events/gojson.js';
import type { Event } from '../events/types.js';
import type { EventQueueListener } from '../sinks/event-queue.js';
import type { HttpStatusListener } from '../sinks/http-post.js';
import { statusKey } from './status-text.js';

/** The original's `EndpointMetrics` (docs/compatibility.md §6.1); keys of `statuses` are "<code> <Go text>". */
export interface EndpointMetrics {
  /** Events queued, plus the one in flight. */
  pending: number;
  /** Events that passed the ignore filter and were queued. */
  events: number;
  /** HTTP attempts (× events in them) with a final status 200–399. */
  successes: number;
  /** HTTP attempts with any other final status. */
  failures: number;
  /** HTTP attempts without a status: transport error, timeout, too many redirects. */
  errors: number;
  statuses: Record<string, number>;
}

export function emptyMetrics(): EndpointMetrics {
  return { pending: 0, events: 0, successes: 0, failures: 0, errors: 0, statuses: {} };
}

/**
 * In-memory counters for one endpoint, fed through the two observer interfaces the pipeline
 * exposes, so neither the queue nor the HTTP sink imports metrics (the Go design).
 */
export class EndpointMetricsRecorder implements EventQueueListener, HttpStatusListener {
  private readonly m = emptyMetrics();

  ingress(_event: Event): void {
    this.m.events++;
    this.m.pending++;
  }

  egress(_event: Event): void {
    this.m.pending--;
  }

  success(status: number, count: number): void {
    this.m.successes += count;
    this.countStatus(status, count);
  }

  failure(status: number, count: number): void {
    this.m.failures += count;
    this.countStatus(status, count);
  }

  err(_error: Error, count: number): void {
    this.m.errors += count;
  }

  /** A copy: later updates do not show through it. */
  snapshot(): EndpointMetrics {
    return { ...this.m, statuses: { ...this.m.statuses } };
  }

  private countStatus(status: number, count: number): void {
    const key = statusKey(status);
    this.m.statuses[key] = (this.m.statuses[key] ?? 0) + count;
  }
}

/** What the expvar object needs of an endpoint's (defaulted) configuration. */
export interface ExpvarEndpointConfig {
  headers?: Record<string, string[]>;
  timeoutMs: number;
  threshold: number;
  backoffMs: number;
  ignoredMediaTypes?: string[];
  ignore?: { mediaTypes?: string[]; actions?: string[] };
}

const NsPerMs = 1_000_000;

/**
 * One element of `registry.notifications.endpoints`, laid out as Go marshals its anonymous
 * struct (docs/compatibility.md §6.2): Go field names, durations in nanoseconds, `null` for nil maps and
 * slices. An empty list or map counts as nil, since a YAML config yields nil for absent keys.
 */
export function expvarEndpoint(
  name: string,
  url: string,
  config: ExpvarEndpointConfig,
  metrics: EndpointMetrics,
): object {
  return {
    name,
    url,
    Headers: sortedOrNull(config.headers),
    Timeout: config.timeoutMs * NsPerMs,
    Threshold: config.threshold,
    Backoff: config.backoffMs * NsPerMs,
    IgnoredMediaTypes: listOrNull(config.ignoredMediaTypes),
    Ignore: {
      MediaTypes: listOrNull(config.ignore?.mediaTypes),
      Actions: listOrNull(config.ignore?.actions),
    },
    Metrics: {
      Pending: metrics.pending,
      Events: metrics.events,
      Successes: metrics.successes,
      Failures: metrics.failures,
      Errors: metrics.errors,
      Statuses: sortedKeys(metrics.statuses),
    },
  };
}

/**
 * The `registry` expvar map's `notifications` entry as `/debug/vars` prints it:
 * expvar.Map's `{"k": v}` wrapper around the compact json.Marshal of the endpoint list.
 */
export function expvarJson(endpoints: readonly object[]): string {
  const list = endpoints.length === 0 ? 'null' : compactGo(JSON.stringify(endpoints));
  return `{"notifications": {"endpoints": ${list}}}`;
}

function listOrNull(list: readonly string[] | undefined): string[] | null {
  return list && list.length > 0 ? [...list] : null;
}

function sortedOrNull(map: Record<string, string[]> | undefined): Record<string, string[]> | null {
  if (!map || Object.keys(map).length === 0) return null;
  return sortedKeys(map);
}

// json.Marshal writes map keys sorted; JSON.stringify keeps insertion order, so insert sorted.
function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(map).sort()) out[key] = map[key] as T;
  return out;
}
