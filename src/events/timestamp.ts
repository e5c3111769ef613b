/** A date or a nanosecond count that no RFC 3339 timestamp can carry. */
export class TimestampRangeError extends RangeError {
  readonly code = 'ERR_INVALID_TIMESTAMP';
  constructor(message: string) {
    super(message);
    this.name = 'TimestampRangeError';
  }
}

/**
 * Go's `time.RFC3339Nano` layout in UTC: `2006-01-02T15:04:05.999999999Z`, the fraction's
 * trailing zeros trimmed and the fraction dropped when zero (docs/compatibility.md §1.5).
 *
 * `nanos` adds sub-millisecond precision (0–999,999) to `date`'s milliseconds.
 */
export function formatTimestamp(date: Date, nanos = 0): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new TimestampRangeError('formatTimestamp: invalid date');
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999) {
    throw new TimestampRangeError('formatTimestamp: nanos must be an integer in 0..999999');
  }
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (years 0..9999)
  const fraction = (
    String(date.getUTCMilliseconds()).padStart(3, '0') + String(nanos).padStart(6, '0')
  ).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

/** The zero `time.Time`, as Go marshals it. */
export const ZeroTimestamp = '0001-01-01T00:00:00Z';

/**
 * A timestamp for "now" with the best precision the process has: wall-clock milliseconds plus
 * the sub-millisecond part of the monotonic clock (so two events created in the same
 * millisecond still differ, as they would in Go).
 */
export function nowTimestamp(): string {
  const nanos = Number(process.hrtime.bigint() % 1_000_000n);
  return formatTimestamp(new Date(), nanos);
}
