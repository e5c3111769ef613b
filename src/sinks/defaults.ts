/**
 * The endpoint defaults of distribution's notifications/endpoint.go (`Endpoint.defaults()`, the
 * same from v2.7 to v3.1; see docs/compatibility.md §5): a timeout, threshold or backoff that is
 * unset, zero or negative takes these. The one source for the config loader, the in-memory
 * Endpoint and the HTTP sink.
 */

/** Timeout of one HTTP attempt (Go: 1 * time.Second). */
export const DefaultTimeoutMs = 1000;
/** Failures in a row retried at once before the breaker starts waiting (Go: 10). */
export const DefaultThreshold = 10;
/** Wait between retries once the threshold is reached (Go: 1 * time.Second). */
export const DefaultBackoffMs = 1000;

export interface EndpointTiming {
  timeoutMs: number;
  threshold: number;
  backoffMs: number;
}

/** `value` when it is set and positive, else `fallback` (Go's `if x <= 0 { x = default }`). */
export function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}

/** Go's `defaults()`: each of the three unset, zero or negative → its default. */
export function endpointTiming(t: Partial<EndpointTiming>): EndpointTiming {
  return {
    timeoutMs: positiveOr(t.timeoutMs, DefaultTimeoutMs),
    threshold: positiveOr(t.threshold, DefaultThreshold),
    backoffMs: positiveOr(t.backoffMs, DefaultBackoffMs),
  };
}
