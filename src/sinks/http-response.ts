/**
 * Reading an HTTP response the way Go's client and regnotify's delivery need: where a redirect
 * leads, and how long a Retry-After asks us to wait.
 */

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The URL to follow for this response, or undefined when it is final. As in Go's client:
 * 301/302/303/307/308 with a Location are followed (relative Locations resolved against the
 * current URL); any other status, and a redirect status without a Location, is final.
 */
export function nextHop(status: number, location: HeaderValue, current: URL): URL | undefined {
  if (![301, 302, 303, 307, 308].includes(status)) return undefined;
  const loc = first(location);
  if (loc === undefined || loc === '') return undefined;
  return new URL(loc, current);
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from `nowMs`: delay-seconds or an HTTP date;
 * undefined when absent or unreadable. A date in the past gives 0.
 */
export function retryAfterMs(value: HeaderValue, nowMs: number): number | undefined {
  const text = first(value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
