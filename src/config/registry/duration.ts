/**
 * Go `time.Duration` as the registry's config.yml spells it (docs/compatibility.md §7): a YAML integer is
 * nanoseconds, a string is parsed like `time.ParseDuration`. The arithmetic is done in BigInt so
 * the overflow rules and the rounding of fractions are Go's, bit for bit.
 */
import { RegnotifyError } from '../../errors.js';

const NS = 1n;
const US = 1_000n;
const MS = 1_000_000n;
const SEC = 1_000_000_000n;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

/** Go's unitMap; `us` also as µ (U+00B5, micro sign) and μ (U+03BC, Greek mu). */
const UNITS = new Map(
  Object.entries({ ns: NS, us: US, '\u00b5s': US, '\u03bcs': US, ms: MS, s: SEC, m: MIN, h: HOUR }),
);

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

/** A `<number><unit>` group: digits, fraction, unit (up to the next digit or '.'), the rest. */
const GROUP = /^(\d*)(?:\.(\d*))?([^\d.]*)(.*)$/s;

/** The digits after a '.' as Go's leadingFraction keeps them: those beyond int64 are dropped. */
function fraction(digits: string): { f: bigint; scale: number } {
  let f = 0n;
  let scale = 1;
  for (const d of digits) {
    const next = f * 10n + BigInt(d);
    if (next > MAX_ABS - 1n) break;
    f = next;
    scale *= 10;
  }
  return { f, scale };
}

/**
 * Parse like Go's `time.ParseDuration` and return nanoseconds. Units ns, us, µs, ms, s, m, h;
 * groups like `1h2m`, fractions like `1.5s`, a sign, and a bare `0`. Exact up to 2^53 ns
 * (≈104 days); larger values are rounded to the nearest double.
 */
export function parseGoDuration(s: string): number {
  const neg = s[0] === '-';
  let rest = neg || s[0] === '+' ? s.slice(1) : s;
  if (rest === '0') return 0;
  if (rest === '') throw new GoDurationError(s);
  let total = 0n;
  while (rest !== '') {
    const [, int = '', frac, u = '', after = ''] = GROUP.exec(rest) ?? [];
    const v = BigInt(int); // '' (as in `.5s`) is 0
    if (v > MAX_ABS || (int === '' && !frac)) throw new GoDurationError(s);
    if (u === '') throw new GoDurationError(s, 'missing unit');
    const unit = UNITS.get(u);
    if (unit === undefined) throw new GoDurationError(s, `unknown unit ${JSON.stringify(u)}`);
    if (v > MAX_ABS / unit) throw new GoDurationError(s);
    const { f, scale } = fraction(frac ?? '');
    // Go: v += uint64(float64(f) * (float64(unit) / scale)) — float64 maths, then truncation.
    const ns = v * unit + BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
    total += ns;
    if (ns > MAX_ABS || total > MAX_ABS) throw new GoDurationError(s);
    rest = after;
  }
  if (!neg && total > MAX_ABS - 1n) throw new GoDurationError(s);
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
