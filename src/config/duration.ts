/**
 * Go `time.Duration` as the registry's config.yml spells it (docs/compatibility.md §7): a YAML integer is
 * nanoseconds, a string is parsed like `time.ParseDuration`. The arithmetic is done in BigInt so
 * the overflow rules and the rounding of fractions are Go's, bit for bit.
 */
import { RegnotifyError } from '../errors.js';

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const SEC = 1_000_000_000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek small letter mu
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);

const MAX_ABS = 1n << 63n; // |math.MinInt64|; the positive bound is one less

/** Thrown by parseGoDuration; the message starts with `invalid duration "<input>"`. */
export class GoDurationError extends RegnotifyError {
  constructor(input: string, detail?: string) {
    super(
      'ERR_GO_DURATION',
      `invalid duration ${JSON.stringify(input)}${detail ? `: ${detail}` : ''}`,
    );
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Digits at the start of `s` (Go's leadingInt), or an overflow error. */
function leadingInt(s: string, orig: string): { v: bigint; rest: string } {
  let i = 0;
  let v = 0n;
  while (isDigit(s[i])) {
    v = v * 10n + BigInt(s.charCodeAt(i) - 48);
    if (v > MAX_ABS) throw new GoDurationError(orig);
    i++;
  }
  return { v, rest: s.slice(i) };
}

/** Digits after a '.', Go's leadingFraction: digits beyond int64 precision are dropped. */
function leadingFraction(s: string): { f: bigint; scale: number; rest: string } {
  let i = 0;
  let f = 0n;
  let scale = 1;
  let overflow = false;
  while (isDigit(s[i])) {
    if (!overflow) {
      const next = f * 10n + BigInt(s.charCodeAt(i) - 48);
      if (next > MAX_ABS - 1n) overflow = true;
      else {
        f = next;
        scale *= 10;
      }
    }
    i++;
  }
  return { f, scale, rest: s.slice(i) };
}

/** One `<number><unit>` group of a duration string, in nanoseconds. */
function parseGroup(s: string, orig: string): { ns: bigint; rest: string } {
  if (!(s[0] === '.' || isDigit(s[0]))) throw new GoDurationError(orig);
  const int = leadingInt(s, orig);
  const pre = int.rest.length !== s.length;
  let rest = int.rest;
  let frac = { f: 0n, scale: 1 };
  let post = false;
  if (rest[0] === '.') {
    const after = rest.slice(1);
    const parsed = leadingFraction(after);
    post = parsed.rest.length !== after.length;
    frac = parsed;
    rest = parsed.rest;
  }
  if (!pre && !post) throw new GoDurationError(orig);
  let i = 0;
  while (i < rest.length && rest[i] !== '.' && !isDigit(rest[i])) i++;
  if (i === 0) throw new GoDurationError(orig, 'missing unit');
  const u = rest.slice(0, i);
  const unit = UNITS.get(u);
  if (unit === undefined) throw new GoDurationError(orig, `unknown unit ${JSON.stringify(u)}`);
  if (int.v > MAX_ABS / unit) throw new GoDurationError(orig);
  let ns = int.v * unit;
  if (frac.f > 0n) {
    // Go: v += uint64(float64(f) * (float64(unit) / scale)) — float64 maths, then truncation.
    ns += BigInt(Math.trunc(Number(frac.f) * (Number(unit) / frac.scale)));
    if (ns > MAX_ABS) throw new GoDurationError(orig);
  }
  return { ns, rest: rest.slice(i) };
}

/**
 * Parse like Go's `time.ParseDuration` and return nanoseconds. Units ns, us, µs, ms, s, m, h;
 * groups like `1h2m`, fractions like `1.5s`, a sign, and a bare `0`. Exact up to 2^53 ns
 * (≈104 days); larger values are rounded to the nearest double.
 */
export function parseGoDuration(s: string): number {
  const orig = s;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new GoDurationError(orig);
  let total = 0n;
  while (s !== '') {
    const group = parseGroup(s, orig);
    total += group.ns;
    if (total > MAX_ABS) throw new GoDurationError(orig);
    s = group.rest;
  }
  if (!neg && total > MAX_ABS - 1n) throw new GoDurationError(orig);
  return neg ? -Number(total) : Number(total);
}

/** `prec` decimal places of `v`, trailing zeros (and a bare '.') dropped, like Go's fmtFrac. */
function splitFrac(v: bigint, prec: number): { int: bigint; frac: string } {
  const p = 10n ** BigInt(prec);
  const digits = (v % p).toString().padStart(prec, '0').replace(/0+$/, '');
  return { int: v / p, frac: digits ? `.${digits}` : '' };
}

/** Go's `Duration.String()`: "1h2m0s", "1.5s", "300ms", "1µs", "0s". */
export function formatGoDuration(ns: number): string {
  const d = BigInt(Math.trunc(ns));
  const sign = d < 0n ? '-' : '';
  const u = d < 0n ? -d : d;
  if (u === 0n) return '0s';
  if (u < SEC) {
    const [prec, unit] = u < US ? [0, 'ns'] : u < MS ? [3, '\u00b5s'] : [6, 'ms'];
    const { int, frac } = splitFrac(u, prec);
    return `${sign}${int}${frac}${unit}`;
  }
  const { int: secs, frac } = splitFrac(u, 9);
  const h = secs / 3600n;
  const m = (secs / 60n) % 60n;
  const s = secs % 60n;
  const hm = h > 0n ? `${h}h${m}m` : m > 0n ? `${m}m` : '';
  return `${sign}${hm}${s}${frac}s`;
}

/**
 * Nanoseconds to whole milliseconds, rounding UP: a non-zero duration never becomes 0 ms
 * (which would read as "unset" and silently pick a default), so `timeout: 1000` (1 µs) is 1 ms.
 */
export function nanosToMs(ns: number): number {
  return Math.ceil(ns / 1_000_000);
}
