/**
 * The keys of one `notifications.endpoints[i]` entry: the registry's own, which regnotify reads
 * with the original's meaning (docs/compatibility.md §7), and regnotify's, lower-case like the
 * registry's. Each key's documentation and its reader sit together in one table: it is the
 * documentation, the list of accepted keys (anything else inside an endpoint is an error), the
 * field tree of the variables (./registry-env.ts), and what ./endpoint.ts reads an endpoint with.
 *
 * Environment: the registry's own override scheme, REGISTRY_NOTIFICATIONS_ + upper-cased Go
 * field names joined by '_' (our keys follow the same pattern; a registry ignores them).
 */
import { ConfigError, toError } from '../errors.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../events/types.js';
import { DefaultRetryAfterMaxMs } from '../sinks/http-response.js';
import { formatGoDuration, nanosToMs } from './duration.js';
import type { EndpointMediaType, EndpointSettings } from './types.js';
import { readBool, readDurationNs, readHeaders, readInt } from './values.js';
import { readString, readStringList } from './values.js';

/** Reads a PEM file named in the config; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

/** Turns a key's raw value into its setting; `key` is the path errors name. */
type Reader<T> = (v: unknown, key: string, readText: ReadTextFile) => T;

interface KeySpec<T> {
  doc: string;
  /** The default as a reader would write it. */
  default: string;
  read: Reader<T>;
}

export const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTIONS = new Set(['pull', 'push', 'mount', 'delete']);
const MEDIA_TYPES: readonly EndpointMediaType[] = ['', EventsMediaType, EventsMediaTypeV2];
const ORDERINGS: readonly EndpointSettings['ordering'][] = ['strict', 'parallel'];
const MS_NS = 1_000_000;
const MAX_RETRY_AFTER_MAX_NS = 24 * 60 * 60 * 1000 * MS_NS;

function readName(v: unknown, key: string): string {
  const name = readString(v, key);
  if (ENDPOINT_NAME_PATTERN.test(name)) return name;
  const why = `must match ${ENDPOINT_NAME_PATTERN.source}, got ${JSON.stringify(name)}`;
  throw new ConfigError(key, name === '' ? 'required' : why);
}

/** A Go duration in ms, rounded up: a positive one stays positive, so only <= 0 is "unset". */
const readMs = (v: unknown, key: string): number => nanosToMs(readDurationNs(v, key));

function readMaxAge(v: unknown, key: string): number {
  const ns = readDurationNs(v, key);
  if (ns < 0) throw new ConfigError(key, 'must not be negative');
  return nanosToMs(ns);
}

/** `retryaftermax`: unset → 5m; otherwise 1ms to 24h (0 would turn Retry-After off unsaid). */
function readRetryAfterMax(v: unknown, key: string): number {
  if (v === undefined || v === null) return DefaultRetryAfterMaxMs;
  const ns = readDurationNs(v, key);
  if (ns < MS_NS || ns > MAX_RETRY_AFTER_MAX_NS) {
    throw new ConfigError(key, `must be from 1ms to 24h, got ${formatGoDuration(ns)}`);
  }
  return nanosToMs(ns);
}

/** An integer from `min` to `max`; `def` when unset. */
function range(def: number, min: number, max: number): Reader<number> {
  return (v, key) => {
    const n = v === undefined || v === null ? def : readInt(v, key);
    if (n < min || n > max) throw new ConfigError(key, `must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

function readActions(v: unknown, key: string): string[] {
  const actions = readStringList(v, key);
  const i = actions.findIndex((a) => !ACTIONS.has(a));
  if (i < 0) return actions;
  const why = `unknown action ${JSON.stringify(actions[i])} (pull, push, mount, delete)`;
  throw new ConfigError(`${key}[${i}]`, why);
}

function readMediaType(v: unknown, key: string): EndpointMediaType {
  const text = readString(v, key);
  const found = MEDIA_TYPES.find((t) => t === text);
  if (found !== undefined) return found;
  throw new ConfigError(key, `must be '', ${EventsMediaType} or ${EventsMediaTypeV2}`);
}

function readOrdering(v: unknown, key: string): EndpointSettings['ordering'] {
  const text = readString(v, key) || 'strict';
  const found = ORDERINGS.find((o) => o === text);
  if (found !== undefined) return found;
  throw new ConfigError(key, `must be strict or parallel, got ${JSON.stringify(text)}`);
}

/** The contents of the PEM file the value names ('' = none). */
function readPem(v: unknown, key: string, readText: ReadTextFile): string {
  const file = readString(v, key);
  if (file === '') return '';
  try {
    return readText(file);
  } catch (err) {
    const why = `cannot read ${JSON.stringify(file)}: ${toError(err).message}`;
    throw new ConfigError(key, why, { cause: err });
  }
}

const spec = <T>(doc: string, def: string, read: Reader<T>): KeySpec<T> => ({
  doc,
  default: def,
  read,
});

/** The registry's own keys (configuration.Endpoint). */
const REGISTRY_KEYS = {
  name: spec(
    'Endpoint name: required, unique, [A-Za-z0-9][A-Za-z0-9._-]{0,99} (it is part of Redis key names).',
    '(required)',
    readName,
  ),
  disabled: spec(
    'true = the endpoint is kept in the list but gets no deliveries (the registry does not create it).',
    'false',
    readBool,
  ),
  url: spec(
    'Absolute http(s) URL the envelopes are POSTed to, the host written after //; no whitespace, control characters, backslash or fragment. A user:password in it is sent as Basic auth (as Go does) and shown as ***; query values are shown as ***.',
    '(required)',
    readString,
  ),
  headers: spec(
    'Extra request headers; each value MUST be a list: `Authorization: [Bearer <token>]`. Names kept verbatim.',
    '{}',
    readHeaders,
  ),
  timeout: spec(
    'Timeout of one HTTP attempt: a Go duration (`1s`, `500ms`, `1h2m`) or an integer in NANOSECONDS. <= 0 → 1s.',
    '1s',
    readMs,
  ),
  threshold: spec(
    'Consecutive failed attempts retried at once; after that each retry waits `backoff`. <= 0 → 10.',
    '10',
    readInt,
  ),
  backoff: spec(
    'Wait between retries once `threshold` failures in a row are reached (Go duration). <= 0 → 1s.',
    '1s',
    readMs,
  ),
  ignoredmediatypes: spec(
    'Target media types whose events are not sent (legacy key, merged with ignore.mediatypes).',
    '[]',
    readStringList,
  ),
  'ignore.mediatypes': spec('Target media types whose events are not sent.', '[]', readStringList),
  'ignore.actions': spec(
    'Actions whose events are not sent: pull, push, mount, delete (independent of media types).',
    '[]',
    readActions,
  ),
};

/** regnotify's own keys. */
const REGNOTIFY_KEYS = {
  mediatype: spec(
    "Content-Type of the envelopes sent: application/vnd.docker.distribution.events.v1+json or …v2+json; '' = as received.",
    "''",
    readMediaType,
  ),
  maxbatch: spec(
    'Up to this many consecutive pending events are packed into one envelope (1-1000; 1 = one event per POST, like the registry).',
    '1',
    range(1, 1, 1000),
  ),
  ordering: spec(
    'strict = in acceptance order, one delivery in flight; parallel = no order, `concurrency` in flight.',
    'strict',
    readOrdering,
  ),
  concurrency: spec(
    'Deliveries in flight at once across all workers; > 1 needs ordering: parallel.',
    '1',
    range(1, 1, 1000),
  ),
  maxretries: spec(
    'Failed attempts after which an event goes to the dead-letter set; 0 = retry for ever (the registry).',
    '0',
    range(0, 0, Number.MAX_SAFE_INTEGER),
  ),
  maxage: spec(
    'Age (Go duration) after which an undelivered event goes to the dead-letter set; 0 = never.',
    '0',
    readMaxAge,
  ),
  retryafter: spec('Honour Retry-After on 429/503 as the backoff.', 'false', readBool),
  retryaftermax: spec(
    'Longest wait a Retry-After may ask for (Go duration, 1ms to 24h); a longer one, or an HTTP-date further ahead, is cut to this. The wait holds every worker of the endpoint, so one answer like `Retry-After: 99999999999` must not stop it for years; 5m covers the minute-scale windows of common rate limits and the time a receiver restart takes.',
    '5m',
    readRetryAfterMax,
  ),
  'tls.ca': spec(
    'PEM file of CA certificates to trust for this endpoint (read at start-up).',
    "''",
    readPem,
  ),
  'tls.certificate': spec('PEM file of the client certificate (with tls.key).', "''", readPem),
  'tls.key': spec('PEM file of the client private key (with tls.certificate).', "''", readPem),
  'tls.insecureskipverify': spec(
    'Do not verify the server certificate (testing only).',
    'false',
    readBool,
  ),
  'repositories.include': spec(
    'Only events for repositories matching one of these globs (`*` = any run of characters); [] = all.',
    '[]',
    readStringList,
  ),
  'repositories.exclude': spec(
    'No events for repositories matching one of these globs.',
    '[]',
    readStringList,
  ),
  'tags.include': spec(
    'Only events whose tag matches one of these globs (events without a tag pass); [] = all.',
    '[]',
    readStringList,
  ),
  'tags.exclude': spec('No events whose tag matches one of these globs.', '[]', readStringList),
};

const SPECS = { ...REGISTRY_KEYS, ...REGNOTIFY_KEYS };
export type EndpointKey = keyof typeof SPECS;
export type EndpointValues = { [K in EndpointKey]: ReturnType<(typeof SPECS)[K]['read']> };

/** The table typed per key, so that reading key K gives the type its reader returns. */
export const ENDPOINT_SPECS: { [K in EndpointKey]: KeySpec<EndpointValues[K]> } = SPECS;

export interface NotificationKey {
  /** Path inside one endpoint (or inside `notifications` for section keys), dotted. */
  key: string;
  /** Upper-cased field path used by REGISTRY_NOTIFICATIONS_* variables, '_'-joined. */
  field: string;
  doc: string;
  default: string;
  /** true = the registry's own key; false = added by regnotify. */
  registry: boolean;
}

export const ENDPOINT_KEYS: readonly NotificationKey[] = Object.entries(SPECS).map(([key, s]) => ({
  key,
  field: key.toUpperCase().replaceAll('.', '_'),
  doc: s.doc,
  default: s.default,
  registry: Object.hasOwn(REGISTRY_KEYS, key),
}));

export const SECTION_KEYS: readonly NotificationKey[] = [
  {
    key: 'events.includereferences',
    field: 'EVENTCONFIG_INCLUDEREFERENCES',
    doc: 'Add `references` (the descriptors a manifest points to) to manifest events.',
    default: 'false',
    registry: true,
  },
];

/** Keys allowed at `path` inside an endpoint ('' = the endpoint itself). */
export function allowedEndpointKeys(path: string): Set<string> {
  const prefix = path === '' ? '' : `${path}.`;
  const out = new Set<string>();
  for (const { key } of ENDPOINT_KEYS) {
    if (key.startsWith(prefix)) out.add(key.slice(prefix.length).split('.')[0] ?? '');
  }
  return out;
}
