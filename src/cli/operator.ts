/**
 * How the CLI prints the console's results (src/console/ops.ts computes them).
 */
import type { DeadLetter } from '../console/dead-letters.js';
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
