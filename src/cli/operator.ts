/**
 * How the CLI prints the console's results (src/console/ops.ts computes them).
 */
import type { DeadLetter } from '../console/dead-letters.js';
import type { EventTrace } from '../console/trace.js';
import type { EndpointStats } from '../queue/stats.js';

export function formatStats(stats: readonly EndpointStats[]): string {
  const header = [
    'endpoint',
    'pending',
    'events',
    'successes',
    'failures',
    'errors',
    'dead',
    'oldest',
    'backoff',
    'state',
  ];
  const rows = stats.map((s) => [
    s.name,
    String(s.pending),
    String(s.events),
    String(s.successes),
    String(s.failures),
    String(s.errors),
    String(s.dead),
    s.oldestPendingAgeMs > 0 ? `${(s.oldestPendingAgeMs / 1000).toFixed(1)}s` : '-',
    s.backoffRemainingMs > 0 ? `${s.backoffRemainingMs}ms` : '-',
    s.paused ? 'paused' : s.recentFailures > 0 ? `failing (${s.recentFailures})` : 'ok',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * One line per dead letter, oldest first: when it was given up, the event id, action,
 * repository:tag, failed attempts, and why (the last error).
 */
export function formatDeadLetters(letters: readonly DeadLetter[]): string {
  return letters
    .map((d) => {
      const at = new Date(d.at).toISOString();
      const what = `${d.action || '-'} ${d.target}`;
      return `${at}  ${d.id}  ${what}  attempts ${d.attempts}  ${d.reason}: ${d.detail}\n`;
    })
    .join('');
}

/**
 * Per event found: its id, action and repository:tag, then per endpoint its state (with when
 * it was accepted, and why it was given up), then each attempt: time, number, result, duration,
 * worker.
 */
export function formatTrace(query: string, events: readonly EventTrace[]): string {
  if (events.length === 0) return `no event found for "${query}"\n`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const width = Math.max(...events.flatMap((t) => t.endpoints.map((e) => e.endpoint.length)));
  const lines: string[] = [];
  for (const t of events) {
    lines.push(`event ${t.eventId}  ${t.action || '-'} ${t.target}`);
    for (const e of t.endpoints) {
      const accepted = e.acceptedAt > 0 ? `  accepted ${iso(e.acceptedAt)}` : '';
      const reason = e.reason !== undefined ? `  (${e.reason})` : '';
      lines.push(`  ${e.endpoint.padEnd(width)}  ${e.state}${accepted}${reason}`);
      for (const a of e.attempts) {
        lines.push(
          `    ${iso(a.at)}  attempt ${a.attempt}  ${a.result}  ${a.durationMs} ms  ${a.worker}`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
