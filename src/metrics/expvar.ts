import { displayUrl } from '../sinks/url-display.js';
import type { EndpointMetrics, ExpvarEndpointConfig } from './endpoint-metrics.js';
import { expvarEndpoint, expvarJson } from './endpoint-metrics.js';

/**
 * The `/debug/vars` body in the layout of Go's expvar handler (docs/compatibility.md §6.2):
 *
 *   {
 *   "registry": {"notifications": {"endpoints": [...]}}
 *   }
 *
 * with each endpoint's Metrics read from Redis (cluster-wide: any process reports the same).
 * Go's handler also prints `cmdline` and `memstats`; those describe a Go process and are left out.
 *
 * Deviation: the original prints configured header values (often `Authorization: Bearer …`) in
 * clear on an unauthenticated debug port. regnotify shows every value as "[REDACTED]" unless
 * `exposeHeaders` is set; the header names (and how many values each has) stay visible. The
 * `url` is always shown in its display form (src/sinks/url-display.ts): the original prints a
 * userinfo password and query tokens in clear too.
 */
export interface ExpvarEndpoint extends ExpvarEndpointConfig {
  name: string;
  url: string;
}

export interface ExpvarOptions {
  /** The enabled endpoints, in configuration order (the original's registration order). */
  endpoints: readonly ExpvarEndpoint[];
  readStats: (name: string) => Promise<EndpointMetrics>;
  /** Show header values as configured, like the original. Default false: redacted. */
  exposeHeaders?: boolean;
}

export const RedactedHeaderValue = '[REDACTED]';

/** Builds the body; rejects when Redis cannot be read (the caller answers 503). */
export function createExpvar(options: ExpvarOptions): () => Promise<string> {
  return async () => {
    const metrics = await Promise.all(options.endpoints.map((ep) => options.readStats(ep.name)));
    const entries = options.endpoints.map((ep, i) =>
      expvarEndpoint(
        ep.name,
        displayUrl(ep.url),
        options.exposeHeaders || ep.headers === undefined
          ? ep
          : { ...ep, headers: redactHeaders(ep.headers) },
        pickMetrics(metrics[i]!),
      ),
    );
    return `{\n"registry": ${expvarJson(entries)}\n}\n`;
  };
}

export function redactHeaders(headers: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    out[name] = values.map(() => RedactedHeaderValue);
  }
  return out;
}

/** Only the original's six fields: EndpointStats carries more that the layout must not show. */
function pickMetrics(m: EndpointMetrics): EndpointMetrics {
  return {
    pending: m.pending,
    events: m.events,
    successes: m.successes,
    failures: m.failures,
    errors: m.errors,
    statuses: m.statuses,
  };
}
