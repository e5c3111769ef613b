/**
 * Trace: where an event is, on every endpoint — found by its id, `repository[:tag]`,
 * `repository@digest` or a digest. Reads only what is bounded already: each endpoint's history
 * (console.historyMaxAttempts), its dead letters (console.deadLettersMax), the jobs in flight, and
 * the oldest `scanPending` waiting events (20,000 by default, read a page at a time, keeping only
 * the matches); nothing is indexed on the ingest path.
 */
import type { Event } from '../events/types.js';
import type { RedisClient } from '../queue/connection.js';
import { eventFilter } from '../sinks/filter.js';
import type { EventFilter } from '../sinks/filter.js';
import { readHistory } from '../queue/history.js';
import type { Attempt } from '../queue/history.js';
import { rawFromStored } from '../queue/layout.js';
import { endpointKeys } from '../queue/names.js';
import type { EndpointKeys } from '../queue/names.js';
import { deadLetters } from './dead-letters.js';
import { summarize, targetText } from './summary.js';
import type { EventSummary } from './summary.js';

/**
 * `pending` includes an event retried after failed attempts; `filtered out`: the endpoint's
 * action, repository or tag filter does not want it; `unknown`: not found there (its media type
 * is ignored there, or it is older than the history).
 */
export type TraceState =
  'in flight' | 'pending' | 'delivered' | 'dead' | 'filtered out' | 'unknown';

export interface EndpointTrace {
  endpoint: string;
  state: TraceState;
  /** When this endpoint's copy was accepted (ms; 0 when not known). */
  acceptedAt: number;
  /** Oldest first. */
  attempts: Attempt[];
  /** With `dead`: why it was given up. */
  reason?: string;
}

export interface EventTrace {
  eventId: string;
  action: string;
  /** `repository:tag` or `repository@digest`. */
  target: string;
  endpoints: EndpointTrace[];
}

export interface TraceOptions {
  /** Each endpoint's filter (configured endpoints only): tells `filtered out` from `unknown`. */
  filterOf?: (endpoint: string) => EventFilter | undefined;
  /** Waiting events read per endpoint, oldest first, a page at a time (default 20,000). */
  scanPending?: number;
  /** Events reported at most (default 20, the most recently seen). */
  maxEvents?: number;
}

type Matcher = (s: Pick<EventSummary, 'id' | 'repository' | 'tag' | 'digest'>) => boolean;

/** What a query matches: the event id, or the repository with its tag or digest, or a digest. */
export function matcher(query: string): Matcher {
  const q = query.trim();
  const at = q.indexOf('@');
  const colon = q.lastIndexOf(':');
  const isDigest = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(q);
  let repo = q;
  let tag = '';
  let digest = '';
  if (at > 0) {
    repo = q.slice(0, at);
    digest = q.slice(at + 1);
  } else if (!isDigest && colon > q.lastIndexOf('/')) {
    repo = q.slice(0, colon);
    tag = q.slice(colon + 1);
  }
  return (s) =>
    s.id === q ||
    (isDigest && s.digest === q) ||
    (s.repository === repo &&
      (tag === '' || s.tag === tag) &&
      (digest === '' || s.digest === digest));
}

interface Found {
  summary: EventSummary;
  attempts: Attempt[];
  acceptedAt: number;
  state?: TraceState;
  reason?: string;
}

/**
 * The first of two acceptance times (0 = unknown): a replayed event was accepted again, and
 * the trace shows when it first was.
 */
function earliest(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** Every match on one endpoint, by event id. */
async function traceEndpoint(
  client: RedisClient,
  prefix: string,
  name: string,
  matches: Matcher,
  scanPending: number,
): Promise<Map<string, Found>> {
  const k = endpointKeys(prefix, name);
  const found = new Map<string, Found>();
  const entry = (s: EventSummary): Found => {
    let f = found.get(s.id);
    if (f === undefined) found.set(s.id, (f = { summary: s, attempts: [], acceptedAt: 0 }));
    return f;
  };
  for (let before: string | undefined; ;) {
    const page = await readHistory(client, k, 500, before);
    for (const a of page) {
      const s = {
        id: a.eventId,
        action: a.action,
        repository: a.repository,
        tag: a.tag,
        digest: a.digest,
      };
      if (!matches(s)) continue;
      const f = entry(s);
      f.attempts.unshift(a);
      f.acceptedAt = earliest(f.acceptedAt, a.acceptedAt);
    }
    if (page.length < 500) break;
    before = page.at(-1)!.cursor;
  }
  for (const d of await deadLetters(client, prefix, name)) {
    const s = summarize(d.raw);
    if (!matches(s)) continue;
    const f = entry(s);
    Object.assign(f, {
      state: 'dead',
      acceptedAt: earliest(f.acceptedAt, d.acceptedAt),
      reason: `${d.reason}: ${d.detail}`,
    });
  }
  for (const job of await queued(client, k, scanPending, matches)) {
    const s = summarize(job.raw);
    if (!matches(s)) continue;
    const f = entry(s);
    Object.assign(f, {
      state: job.active ? 'in flight' : 'pending',
      acceptedAt: earliest(f.acceptedAt, job.acceptedAt),
    });
  }
  for (const f of found.values()) {
    f.state ??= f.attempts.at(-1)?.ok ? 'delivered' : f.attempts.length > 0 ? 'pending' : 'unknown';
  }
  return found;
}

/** Waiting jobs read per round trip: what one page holds in memory (about 1 MB of events). */
const PAGE = 1000;

/**
 * The jobs in flight and the oldest `limit` waiting that `matches` wants, with their stored
 * text. Read a page at a time from the head of the queue (the oldest, at the right end of
 * `wait`), keeping only the matches: memory stays one page whatever the backlog.
 */
async function queued(
  client: RedisClient,
  k: EndpointKeys,
  limit: number,
  matches: Matcher,
): Promise<{ raw: string; acceptedAt: number; active: boolean }[]> {
  const out: { raw: string; acceptedAt: number; active: boolean }[] = [];
  const read = async (ids: string[], active: boolean): Promise<void> => {
    if (ids.length === 0) return;
    const pipe = client.pipeline();
    for (const id of ids) pipe.hmget(k.job(id), 'data', 'timestamp');
    for (const [err, value] of (await pipe.exec()) ?? []) {
      const [data, timestamp] = (value ?? []) as (string | null)[];
      if (err || !data) continue;
      const raw = rawFromStored(data);
      if (matches(summarize(raw))) out.push({ raw, acceptedAt: Number(timestamp ?? 0), active });
    }
  };
  await read(await client.lrange(k.active, 0, -1), true);
  for (let seen = 0; seen < limit; seen += PAGE) {
    const n = Math.min(PAGE, limit - seen);
    const ids = await client.lrange(k.wait, -(seen + n), -(seen + 1));
    await read(ids, false);
    if (ids.length < n) break;
  }
  return out;
}

/**
 * Whether `filter` wants the event `s` describes, judged by what the trace knows of it — its
 * action, repository and tag (the ingest's own rule, src/sinks/filter.ts); its media type is
 * not kept in the history, so media-type rules are left out.
 */
function wanted(filter: EventFilter, s: EventSummary): boolean {
  const known: Pick<Event, 'action'> & { target: Partial<Event['target']> } = {
    action: s.action,
    target: { mediaType: '', repository: s.repository, ...(s.tag !== '' ? { tag: s.tag } : {}) },
  };
  return eventFilter({ ...filter, ignoredMediaTypes: [] })(known as Event);
}

/** Traces `query` on every endpoint named; events most recently attempted or accepted first. */
export async function trace(
  client: RedisClient,
  prefix: string,
  endpoints: readonly string[],
  query: string,
  options: TraceOptions = {},
): Promise<EventTrace[]> {
  const matches = matcher(query);
  const perEndpoint = await Promise.all(
    endpoints.map((name) =>
      traceEndpoint(client, prefix, name, matches, options.scanPending ?? 20_000),
    ),
  );
  const events = new Map<string, EventTrace & { last: number }>();
  const summaries = new Map<string, EventSummary>();
  perEndpoint.forEach((found, i) => {
    for (const [id, f] of found) {
      let t = events.get(id);
      if (t === undefined) {
        const s = f.summary;
        summaries.set(id, s);
        t = { eventId: id, action: s.action, target: targetText(s), endpoints: [], last: 0 };
        events.set(id, t);
      }
      t.last = Math.max(t.last, f.attempts.at(-1)?.at ?? 0, f.acceptedAt);
      t.endpoints.push({
        endpoint: endpoints[i]!,
        state: f.state ?? 'unknown',
        acceptedAt: f.acceptedAt,
        attempts: f.attempts,
        ...(f.reason !== undefined ? { reason: f.reason } : {}),
      });
    }
  });
  // An endpoint where the event was not found is said so: filtered out, or unknown.
  for (const t of events.values()) {
    const s = summaries.get(t.eventId)!;
    for (const name of endpoints) {
      if (!t.endpoints.some((e) => e.endpoint === name)) {
        const filter = options.filterOf?.(name);
        const state = filter && !wanted(filter, s) ? 'filtered out' : 'unknown';
        t.endpoints.push({ endpoint: name, state, acceptedAt: 0, attempts: [] });
      }
    }
    t.endpoints.sort((a, b) => endpoints.indexOf(a.endpoint) - endpoints.indexOf(b.endpoint));
  }
  return [...events.values()]
    .sort((a, b) => b.last - a.last)
    .slice(0, options.maxEvents ?? 20)
    .map(({ last: _last, ...t }) => t);
}
