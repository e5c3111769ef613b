/**
 * What an operator recognises an event by — its action and repository:tag (or @digest) — read
 * from the event's stored text. Tolerant: a field that is missing or not a string reads as ''.
 */
export interface EventSummary {
  id: string;
  action: string;
  repository: string;
  tag: string;
  digest: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function summarize(raw: string): EventSummary {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    event = undefined;
  }
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const t = (typeof e['target'] === 'object' && e['target'] !== null ? e['target'] : {}) as Record<
    string,
    unknown
  >;
  return {
    id: text(e['id']),
    action: text(e['action']),
    repository: text(t['repository']),
    tag: text(t['tag']),
    digest: text(t['digest']),
  };
}

/** `repository:tag`, else `repository@digest`, else the repository ('-' when none). */
export function targetText(s: Pick<EventSummary, 'repository' | 'tag' | 'digest'>): string {
  if (s.repository === '') return '-';
  if (s.tag !== '') return `${s.repository}:${s.tag}`;
  if (s.digest !== '') return `${s.repository}@${s.digest}`;
  return s.repository;
}
