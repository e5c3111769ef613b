import type { Logger } from '../log.js';

/**
 * A log line that may repeat thousands of times a second (a worker looping on a Redis that
 * refuses writes) is written once, then at most once per `intervalMs` with the number of
 * repeats in between: the trouble stays visible without flooding the log.
 */
export type ThrottledLog = (
  level: 'error' | 'warn',
  fields: Record<string, unknown>,
  message: string,
) => void;

export function throttledLog(logger: Logger, intervalMs = 5000, now = Date.now): ThrottledLog {
  const last = new Map<string, { at: number; repeated: number }>();
  return (level, fields, message) => {
    const err = fields['err'];
    const key = `${message}\u0000${err instanceof Error ? err.message : String(err ?? '')}`;
    const seen = last.get(key);
    const t = now();
    if (seen && t - seen.at < intervalMs) {
      seen.repeated += 1;
      return;
    }
    const repeated = seen?.repeated ?? 0;
    last.set(key, { at: t, repeated: 0 });
    if (last.size > 100) last.delete(last.keys().next().value as string);
    logger[level](repeated > 0 ? { ...fields, repeated } : fields, message);
  };
}
