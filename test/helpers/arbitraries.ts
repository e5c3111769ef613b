/**
 * fast-check arbitraries for notification events and envelopes, in both layouts (v1 = registry
 * 2.x, v2 = registry 3.x; docs/compatibility.md §1.3), and the settings every property suite shares: a
 * fixed seed (FC_SEED overrides it; fast-check prints it on failure), bounded runs and time.
 *
 * Generated events are valid and in the shape Go marshals: optional fields are either absent
 * or non-empty (Go's omitempty), so `encodeEvent(e)` is the exact text a registry would send.
 */
import fc from 'fast-check';
import { EventsMediaType, EventsMediaTypeV2 } from '../../src/events/types.js';
import type { Event, EventsMediaTypeName } from '../../src/events/types.js';
import { define, fieldName, goText, jsonValue, objectOf, timestamp } from './arbitrary-values.js';

export type Layout = 'v1' | 'v2';
export const layoutType: Record<Layout, EventsMediaTypeName> = {
  v1: EventsMediaType,
  v2: EventsMediaTypeV2,
};

/** Default seed of every suite; `FC_SEED=<int>` replays another one. */
export const DefaultSeed = 20_260_710;

/**
 * fast-check parameters: the seed (FC_SEED), `numRuns` and a time limit after which the
 * remaining runs are skipped, so a suite stays bounded on a loaded machine (interrupted runs
 * count as passed, as fast-check reports them; the limit also cuts shrinking short, so the
 * counterexample printed may vary with the load). For a deeper search, FC_NUM_RUNS and
 * FC_TIME_LIMIT_MS override both (`FC_SEED=7 FC_NUM_RUNS=20000 FC_TIME_LIMIT_MS=600000`); to
 * replay one failure exactly, set FC_SEED and FC_PATH to the `seed` and `path` it printed.
 */
export function checkParams<T>(options: {
  numRuns: number;
  timeLimitMs: number;
}): fc.Parameters<T> {
  const seed = intFromEnv('FC_SEED') ?? DefaultSeed;
  const numRuns = intFromEnv('FC_NUM_RUNS') ?? options.numRuns;
  const timeLimitMs = intFromEnv('FC_TIME_LIMIT_MS') ?? options.timeLimitMs;
  const path = process.env.FC_PATH;
  return {
    seed,
    numRuns,
    plugins: [fc.interruptAfterTimeLimit(timeLimitMs)],
    ...(path ? { path, endOnFailure: true } : {}),
  };
}

function intFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${text}`);
  return n;
}

/** Unknown fields for an object whose schema has `known` keys (usually none). */
function extras(known: readonly string[], enabled: boolean, lone: boolean) {
  if (!enabled) return fc.constant([] as [string, unknown][]);
  const entry = fc.tuple(
    fieldName().filter((k) => !known.includes(k)),
    jsonValue(lone),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as [string, unknown][]) },
    { weight: 1, arbitrary: fc.array(entry, { minLength: 1, maxLength: 2 }) },
  );
}

/** An object of the given fields, absent ones (undefined) left out, extras appended after. */
function build<T>(
  fields: Record<string, unknown>,
  extra: readonly (readonly [string, unknown])[],
): T {
  const out = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) define(out, k, v);
  for (const [k, v] of extra) define(out, k, v);
  return out as T;
}

const optional = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arb, { nil: undefined, freq: 2 });
const nonEmpty = (arb: fc.Arbitrary<string>) => arb.filter((s) => s !== '');

export interface EventOptions {
  layout: Layout;
  /** Event ids (default: UUIDs and any non-empty text). */
  id?: fc.Arbitrary<string>;
  /** Free-text fields (default goText). */
  text?: fc.Arbitrary<string>;
  actions?: fc.Arbitrary<string>;
  mediaTypes?: fc.Arbitrary<string>;
  /** '' leaves the field out. */
  repositories?: fc.Arbitrary<string>;
  tags?: fc.Arbitrary<string>;
  /** Unknown fields on every object (default true). */
  extras?: boolean;
  loneSurrogates?: boolean;
}

const KnownMediaTypes = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/octet-stream',
];
const DescriptorKeys = 'mediaType digest size urls annotations data platform artifactType'.split(
  ' ',
);
const TargetKeys = [
  ...DescriptorKeys,
  ...'length repository fromRepository url tag references'.split(' '),
];

/** One valid event, as Go would marshal it in `layout`. */
export function event(o: EventOptions): fc.Arbitrary<Event> {
  const lone = o.loneSurrogates === true;
  const text = o.text ?? goText({ loneSurrogates: lone });
  const word = nonEmpty(text);
  const more = (known: readonly string[]) => extras(known, o.extras ?? true, lone);
  const v2 = o.layout === 'v2';
  const mediaType =
    o.mediaTypes ?? fc.oneof(fc.constant(''), fc.constantFrom(...KnownMediaTypes), text);
  const digest = fc.oneof(fc.constant(''), fc.stringMatching(/^sha256:[0-9a-f]{64}$/), text);
  const size = fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat());
  const platform = fc
    .tuple(
      text,
      text,
      optional(word),
      optional(fc.array(word, { minLength: 1, maxLength: 2 })),
      optional(word),
      more(['architecture', 'os', 'os.version', 'os.features', 'variant']),
    )
    .map(([architecture, os, version, features, variant, x]) =>
      build({ architecture, os, 'os.version': version, 'os.features': features, variant }, x),
    );
  const annotations = fc
    .array(fc.tuple(fieldName(), text), { minLength: 1, maxLength: 3 })
    .map(objectOf);
  const descriptorFields = fc.record({
    mediaType,
    digest,
    size,
    urls: optional(fc.array(text, { minLength: 1, maxLength: 2 })),
    annotations: optional(annotations),
    data: v2
      ? optional(
          fc
            .uint8Array({ minLength: 1, maxLength: 12 })
            .map((b) => Buffer.from(b).toString('base64')),
        )
      : fc.constant(undefined),
    platform: optional(platform),
    artifactType: v2 ? optional(word) : fc.constant(undefined),
  });
  const descriptor = fc.tuple(descriptorFields, more(DescriptorKeys)).map(([f, x]) => build(f, x));
  const target = fc
    .tuple(
      descriptorFields,
      fc.record({
        length: optional(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
        repository: o.repositories ?? optional(word),
        fromRepository: optional(word),
        url: optional(word),
        tag: o.tags ?? optional(word),
        references: optional(fc.array(descriptor, { minLength: 1, maxLength: 3 })),
      }),
      more(TargetKeys),
    )
    .map(([d, t, x]) => build({ ...d, ...blankToAbsent(t) }, x));
  const request = fc
    .tuple(
      text,
      optional(word),
      optional(word),
      text,
      text,
      more(['id', 'addr', 'host', 'method', 'useragent']),
    )
    .map(([id, addr, host, method, useragent, x]) =>
      build({ id, addr, host, method, useragent }, x),
    );
  const actor = fc.tuple(optional(word), more(['name'])).map(([name, x]) => build({ name }, x));
  const source = fc
    .tuple(optional(word), optional(word), more(['addr', 'instanceID']))
    .map(([addr, instanceID, x]) => build({ addr, instanceID }, x));
  return fc
    .tuple(
      o.id ?? fc.oneof(fc.uuid(), goText({ minLength: 1, loneSurrogates: lone })),
      timestamp(),
      o.actions ?? fc.oneof(fc.constantFrom('push', 'pull', 'mount', 'delete'), word),
      target,
      request,
      actor,
      source,
      more(['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source']),
    )
    .map(([id, ts, action, t, r, a, s, x]) =>
      build<Event>({ id, timestamp: ts, action, target: t, request: r, actor: a, source: s }, x),
    );
}

/** Options that may yield '' for "leave the field out" (repositories, tags) map it to absent. */
function blankToAbsent(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = v === '' ? undefined : v;
  return out;
}

export interface GeneratedEnvelope {
  layout: Layout;
  events: Event[];
}

/** An envelope of minEvents..maxEvents (1..4) valid events, in a random layout (or the one given). */
export function envelope(
  o: Omit<EventOptions, 'layout'> & {
    layout?: Layout;
    minEvents?: number;
    maxEvents?: number;
  } = {},
): fc.Arbitrary<GeneratedEnvelope> {
  // Built once per layout: fast-check arbitraries are costly to construct, cheap to draw from.
  const per = (layout: Layout) =>
    fc
      .array(event({ ...o, layout }), {
        minLength: o.minEvents ?? 1,
        maxLength: o.maxEvents ?? 4,
        size: 'max',
      })
      .map((events): GeneratedEnvelope => ({ layout, events }));
  return o.layout ? per(o.layout) : fc.oneof(per('v1'), per('v2'));
}
