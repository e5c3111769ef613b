/**
 * Log lines for a person at a terminal (`logging.format: pretty`, or `auto` on a TTY): the
 * time, the level, the message, then the fields as `key=value`. It rewrites the JSON line pino
 * produced — after secrets were scrubbed from it (src/log.ts) — so both formats carry the same
 * facts and the same redactions. The fields every line has (service, pid, hostname) are left
 * out; a scaled-out deployment logs JSON.
 */
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Record<number, string> = { 20: '90', 40: '33', 50: '31', 60: '35' };
const OMITTED = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'name']);

export interface PrettyOptions {
  /** ANSI colour for the level (only on a terminal). */
  colour?: boolean;
}

/** One JSON log line (with or without its newline) as one readable line, newline-terminated. */
export function prettyLine(jsonLine: string, options: PrettyOptions = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const level = typeof entry['level'] === 'number' ? entry['level'] : 30;
  const name = LEVELS[level] ?? String(level);
  const colour = COLOURS[level];
  const shownLevel = options.colour && colour ? `\u001b[${colour}m${name}\u001b[39m` : name;
  const time = typeof entry['time'] === 'number' ? clock(entry['time']) : '';
  const fields = Object.entries(entry)
    .filter(([k]) => !OMITTED.has(k))
    .map(([k, v]) => `${k}=${fieldText(k, v)}`);
  const err = entry['err'] as { stack?: unknown } | undefined;
  const stack =
    typeof err?.stack === 'string' ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  return `${[time, shownLevel, String(entry['msg'] ?? ''), ...fields].join(' ')}${stack}\n`;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function fieldText(key: string, value: unknown): string {
  if (key === 'err' && typeof value === 'object' && value !== null) {
    const e = value as { type?: unknown; message?: unknown; code?: unknown };
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    return JSON.stringify(`${String(e.type ?? 'Error')}: ${String(e.message ?? '')}${code}`);
  }
  if (typeof value === 'string') return /^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
