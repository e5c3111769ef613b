/**
 * How the CLI prints the console's results (src/console/ops.ts computes them).
 */
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
