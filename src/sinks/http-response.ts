/**
 * Reading an HTTP response the way Go's client and regnotify's delivery need: where a redirect
 * leads, and how long a Retry-After asks us to wait.
 */

type HeaderValue = string | string[] | undefined;

/** The cap on a Retry-After wait when none is configured (the `retryaftermax` default). */
export const DefaultRetryAfterMaxMs = 5 * 60 * 1000;

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
 * Retry-After (RFC 9110 §10.2.3) in milliseconds from `nowMs`, at most `maxMs`: delay-seconds
 * (digits only) or an HTTP-date; undefined when absent or not one of those (a negative number,
 * a fraction, "soon"). A date in the past gives 0. The cap is what keeps one answer such as
 * `Retry-After: 99999999999` from stopping an endpoint's deliveries for years (every worker
 * honours the wait), and keeps the value a finite number below the 2^31 ms timer limit.
 */
export function retryAfterMs(
  value: HeaderValue,
  nowMs: number,
  maxMs = DefaultRetryAfterMaxMs,
): number | undefined {
  const text = first(value)?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000; // may be Infinity for hundreds of digits: the cap handles it
  } else {
    const at = parseHttpDate(text, nowMs);
    if (at === undefined) return undefined;
    ms = Math.max(0, at - nowMs);
  }
  return Math.min(ms, Math.max(0, maxMs));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const IMF_FIXDATE =
  /^([A-Z][a-z]{2}), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^([A-Z][a-z]+), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * An HTTP-date in the three forms RFC 9110 §5.6.7 makes recipients accept (the ones Go's
 * http.ParseTime reads): IMF-fixdate, RFC 850 and asctime. Strict, unlike Date.parse, which
 * reads "-5" as the year 2001 and "Dec 2099" as a date.
 */
export function parseHttpDate(text: string, nowMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(text);
  if (m) return utc(m[4]!, m[3]!, m[2]!, m[5]!, m[6]!, m[7]!, DAYS.includes(m[1]!));
  m = RFC850_DATE.exec(text);
  if (m) {
    // Two-digit year: more than 50 years ahead means the previous century (RFC 9110 §5.6.7).
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[4]);
    if (year > nowYear + 50) year -= 100;
    return utc(String(year), m[3]!, m[2]!, m[5]!, m[6]!, m[7]!, LONG_DAYS.includes(m[1]!));
  }
  m = ASCTIME_DATE.exec(text);
  if (m) return utc(m[7]!, m[2]!, m[3]!.trim(), m[4]!, m[5]!, m[6]!, DAYS.includes(m[1]!));
  return undefined;
}

function utc(
  year: string,
  month: string,
  day: string,
  hour: string,
  min: string,
  sec: string,
  dayNameOk: boolean,
): number | undefined {
  const mon = MONTHS.indexOf(month);
  if (!dayNameOk || mon < 0) return undefined;
  const [y, d, h, mi, s] = [year, day, hour, min, sec].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mon, d);
  date.setUTCHours(h, mi, s, 0);
  // A day that does not exist (31 Feb) rolls over into the next month: not a date.
  return date.getUTCDate() === d ? date.getTime() : undefined;
}
