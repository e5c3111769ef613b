/**
 * A model of what the ingest must store, for test/integration/ingest-properties.test.ts:
 * steps (POST an envelope, or re-send an earlier one), the body each step sends, and for each
 * answer whether it keeps the promise — updating the expected contents of every endpoint's
 * queue when it is a 200. Filters are written out here, independently of src/sinks/filter.ts.
 */
import fc from 'fast-check';
import { encodeEnvelope } from '../../src/events/encode.js';
import { isEventsMediaType, mediaTypeEssence, parseEnvelope } from '../../src/events/parse.js';
import type { ParsedEnvelope } from '../../src/events/parse.js';
import type { Event } from '../../src/events/types.js';
import { event, layoutType } from './arbitraries.js';
import { goText } from './arbitrary-values.js';
import { hostileEventId } from './event-ids.js';
import type { Layout } from './arbitraries.js';

/** What each endpoint of the test wants (its ProducerEndpoint filters, restated). */
export const Wants: Readonly<Record<string, (e: Event) => boolean>> = {
  all: () => true,
  // ignoredActions ['pull'], ignoredMediaTypes ['application/octet-stream']
  picky: (e) => e.action !== 'pull' && e.target.mediaType !== 'application/octet-stream',
  // repositories.include ['keep/*'], tags.exclude ['tmp-*'] (tag filters judge tagged events)
  repos: (e) => (e.target.repository ?? '').startsWith('keep/') && !(e.target.tag ?? '').startsWith('tmp-'), // prettier-ignore
};

export type Corruption = 'none' | 'bad-size' | 'truncated' | 'text/plain';

export type Step =
  | { kind: 'post'; layout: Layout; json: boolean; events: Event[]; corrupt: Corruption }
  | { kind: 'resend'; which: number };

export interface Sent {
  contentType: string;
  body: string;
}

export function describeStep(step: Step): string {
  if (step.kind === 'resend') return `re-send #${step.which}`;
  const ids = step.events.map((e) => (e.id.length > 24 ? `${e.id.slice(0, 21)}...` : e.id));
  return `${step.layout}${step.json ? ' as application/json' : ''}, ${step.corrupt}, ids ${JSON.stringify(ids)}`; // prettier-ignore
}

export class Model {
  readonly endpoints: string[];
  private readonly queues = new Map<string, string[]>();
  private readonly sent: Sent[] = [];

  constructor(endpoints: readonly string[]) {
    this.endpoints = [...endpoints];
    for (const name of endpoints) this.queues.set(name, []);
  }

  stored(endpoint: string): readonly string[] {
    return this.queues.get(endpoint) ?? [];
  }

  bodyOf(step: Step): Sent {
    if (step.kind === 'resend') return this.sent[step.which % this.sent.length] ?? this.sent[0]!;
    const events = step.corrupt === 'bad-size' ? withBadSize(step.events) : step.events;
    let body = encodeEnvelope(events, layoutType[step.layout]);
    if (step.corrupt === 'truncated') body = body.slice(0, -2);
    const contentType =
      step.corrupt === 'text/plain'
        ? 'text/plain'
        : step.json
          ? 'application/json'
          : layoutType[step.layout];
    const sent = { contentType, body };
    this.sent.push(sent);
    return sent;
  }

  /** Whether `status` keeps the promise for `sent`; a 200 also updates the expected queues. */
  judge(sent: Sent, status: number): { problem?: string } {
    const refused = status >= 400 && status < 500;
    const essence = mediaTypeEssence(sent.contentType);
    if (sent.contentType === 'text/plain') return refused ? {} : { problem: 'expected a 4xx' };
    let parsed: ParsedEnvelope;
    try {
      parsed = parseEnvelope(Buffer.from(sent.body, 'utf8'), isEventsMediaType(essence) ? { mediaType: essence } : {}); // prettier-ignore
    } catch {
      return refused ? {} : { problem: 'an invalid envelope must get a 4xx' };
    }
    const conflict = this.conflict(parsed);
    if (status === 200) {
      this.accept(parsed);
      return {};
    }
    // Different content under one id may be refused (4xx) or stored (200); nothing else may:
    // any other answer makes a registry retry the envelope for ever.
    if (conflict !== undefined && (refused || status === 503)) return {};
    return { problem: `a valid envelope${conflict === undefined ? ' without id conflicts' : ''} must get 200` }; // prettier-ignore
  }

  /** An id that comes with two different texts in the envelope, or differs from a stored one. */
  private conflict(parsed: ParsedEnvelope): string | undefined {
    const texts = new Map<string, string>();
    for (const name of this.endpoints) {
      for (const raw of this.stored(name)) texts.set(idOf(raw), raw);
    }
    for (const [i, e] of parsed.events.entries()) {
      const known = texts.get(e.id);
      if (known !== undefined && known !== parsed.raw[i]) return e.id;
      texts.set(e.id, parsed.raw[i] ?? '');
    }
    return undefined;
  }

  private accept(parsed: ParsedEnvelope): void {
    for (const name of this.endpoints) {
      const queue = this.queues.get(name) ?? [];
      const wants = Wants[name] ?? (() => true);
      parsed.events.forEach((e, i) => {
        const raw = parsed.raw[i] ?? '';
        // Byte-identical events are one event, stored once; any other difference is stored.
        if (wants(e) && !queue.includes(raw)) queue.push(raw);
      });
    }
  }
}

function idOf(raw: string): string {
  return parseEnvelope(`{"events":[${raw}]}`).events[0]?.id ?? '';
}

function withBadSize(events: Event[]): Event[] {
  const [first, ...rest] = events;
  return first === undefined ? [] : [{ ...first, target: { ...first.target, size: -1 } }, ...rest];
}

const Manifest = 'application/vnd.oci.image.manifest.v1+json';

export interface StepsOptions {
  /** Where the ids of an envelope's events come from (a small pool per run, so they repeat). */
  ids?: fc.Arbitrary<string>;
  /** Allow different content under one id (default true); false gives every new event its own id. */
  conflicts?: boolean;
}

/** 1–4 steps, the first a POST; by default ids come from a few hostile ids, so they repeat. */
export function stepsArbitrary(options: StepsOptions = {}): fc.Arbitrary<Step[]> {
  const conflicts = options.conflicts ?? true;
  const small = (layout: Layout) =>
    event({
      layout,
      id: fc.constant('?'),
      actions: fc.constantFrom('push', 'pull', 'mount', 'delete'),
      mediaTypes: fc.constantFrom(Manifest, 'application/octet-stream', ''),
      repositories: fc.constantFrom('keep/a', 'keep/ü/😀', 'drop/x', 'keep', ''),
      tags: fc.constantFrom('', 'v1', 'tmp-1'),
      text: goText({ maxLength: 4 }),
      extras: false,
    });
  // A slot is a new event, or a copy of an earlier one in the envelope (changed or not).
  const slot = (layout: Layout) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ fresh: small(layout), id: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ copy: fc.nat(), changed: fc.constant(false) }) },
      ...(conflicts ? [{ weight: 1, arbitrary: fc.record({ copy: fc.nat(), changed: fc.constant(true) }) }] : []), // prettier-ignore
    );
  const post = (pool: string[]) =>
    fc.constantFrom<Layout>('v1', 'v2').chain((layout) =>
      fc.record({
        kind: fc.constant('post' as const),
        layout: fc.constant(layout),
        json: fc.boolean(),
        events: fc
          .array(slot(layout), { minLength: 1, maxLength: 6 })
          .map((slots) => resolveSlots(slots, conflicts ? pool : undefined)),
        corrupt: fc.oneof(
          { weight: 6, arbitrary: fc.constant<Corruption>('none') },
          { weight: 1, arbitrary: fc.constantFrom<Corruption>('bad-size', 'truncated', 'text/plain') }, // prettier-ignore
        ),
      }),
    );
  const ids = options.ids ?? hostileEventId();
  return fc.uniqueArray(ids, { minLength: 1, maxLength: 5 }).chain((pool) => {
    const step = fc.oneof(
      { weight: 4, arbitrary: post(pool) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('resend' as const), which: fc.nat() }) }, // prettier-ignore
    );
    return fc
      .tuple(post(pool), fc.array(step, { maxLength: 3 }))
      .map(([a, rest]) => (conflicts ? [a, ...rest] : distinctIds([a, ...rest])));
  });
}

/** Every distinct event object gets its own id (copies share their original's). */
function distinctIds(steps: Step[]): Step[] {
  const ids = new Map<Event, string>();
  const idOf = (e: Event) => ids.get(e) ?? ids.set(e, `ev-${ids.size}-${e.timestamp}`).get(e) ?? '';
  return steps.map((s) =>
    s.kind === 'post' ? { ...s, events: s.events.map((e) => ({ ...e, id: idOf(e) })) } : s,
  );
}

type Slot = { fresh: Event; id: number } | { copy: number; changed: boolean };

/** Events of an envelope: new ones take an id from `pool` (or keep their own), copies repeat. */
function resolveSlots(slots: Slot[], pool: string[] | undefined): Event[] {
  const out: Event[] = [];
  for (const s of slots) {
    if ('fresh' in s) {
      out.push(pool ? { ...s.fresh, id: pool[s.id % pool.length] ?? 'x' } : s.fresh);
      continue;
    }
    const orig = out[s.copy % Math.max(out.length, 1)];
    if (orig === undefined) continue;
    out.push(
      s.changed ? { ...orig, request: { ...orig.request, id: `${orig.request.id}~` } } : orig,
    );
  }
  return out;
}
