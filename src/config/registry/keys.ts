/**
 * The keys of the registry's `notifications:` section, which regnotify reads with the original's
 * meaning (docs/compatibility.md §7), plus regnotify's own per-endpoint keys, lower-case like the
 * registry's. One table is the documentation, the list of accepted keys (anything else inside an
 * endpoint is an error), the field tree of the variables (./env.ts) and, for an endpoint, the
 * reader of each setting (./endpoint.ts reads them in this order) and so EndpointSettings' type.
 *
 * Environment: the registry's own override scheme, REGISTRY_NOTIFICATIONS_ + upper-cased Go
 * field names joined by '_' (our keys follow the same pattern; a registry ignores them).
 */
import { EventsMediaType, EventsMediaTypeV2 } from '../../events/types.js';
import { DefaultBackoffMs, DefaultThreshold, DefaultTimeoutMs } from '../../sinks/defaults.js';
import { DefaultRetryAfterMaxMs } from '../../sinks/http-response.js';
import { goDefault, readActions, readMaxAge, readName, readPem } from './endpoint-readers.js';
import { readSecrets, readSource, within1msTo24h } from './endpoint-readers.js';
import type { Reader } from './endpoint-readers.js';
import { oneOf, range, readBool, readHeaders, readInt, readMs } from './values.js';
import { readString, readStringList } from './values.js';

export interface NotificationKey<K extends string = string> {
  /** Path inside one endpoint (or inside `notifications` for section keys), dotted. */
  key: K;
  /** Upper-cased field path used by REGISTRY_NOTIFICATIONS_* variables, '_'-joined. */
  field: string;
  doc: string;
  /** The default as a reader would write it. */
  default: string;
  /** true = the registry's own key; false = added by regnotify. */
  registry: boolean;
}

/** An endpoint key with the reader of its setting. */
export interface Setting<K extends string, V> extends NotificationKey<K> {
  read: Reader<V>;
}

/**
 * A maker of keys, `(key, default, reader, { doc })`: the registry's own (`theirs`, its
 * configuration.Endpoint) or regnotify's.
 */
const keyOf =
  (registry: boolean) =>
  <K extends string, V>(
    key: K,
    def: string,
    read: Reader<V>,
    { doc }: { doc: string },
  ): Setting<K, V> => ({
    key,
    field: key.toUpperCase().replaceAll('.', '_'),
    doc,
    default: def,
    registry,
    read,
  });
const theirs = keyOf(true);
const ours = keyOf(false);
/** A second setting read from a documented key (no row of its own). */
const also = <K extends string, V>(key: K, read: Reader<V>) => ours(key, '', read, { doc: '' });

export const SECTION_KEYS: readonly NotificationKey[] = [
  {
    ...theirs('events.includereferences', 'false', readBool, {
      doc: 'Add `references` (the descriptors a manifest points to) to manifest events.',
    }),
    field: 'EVENTCONFIG_INCLUDEREFERENCES', // the Go field's name, not the YAML key's
  },
];

const MEDIA_TYPES = ['', EventsMediaType, EventsMediaTypeV2] as const;

export interface SettingsTree {
  [setting: string]: Setting<string, unknown> | SettingsTree;
}

/** Each setting of an endpoint, camelCase, in a tree as EndpointSettings has them. */
export const SETTINGS = {
  name: theirs('name', '(required)', readName, {
    doc: 'Endpoint name: required, unique, [A-Za-z0-9][A-Za-z0-9._-]{0,99} (it is part of Redis key names).',
  }),
  disabled: theirs('disabled', 'false', readBool, {
    doc: 'true = the endpoint is kept in the list but gets no deliveries (the registry does not create it).',
  }),
  url: theirs('url', '(required)', readString, {
    doc: 'Absolute http(s) URL the envelopes are POSTed to, the host written after //; no whitespace, control characters, backslash or fragment. A user:password in it is sent as Basic auth (as Go does) and shown as ***; query values are shown as ***.',
  }),
  headers: theirs('headers', '{}', readHeaders, {
    doc: 'Extra request headers; each value MUST be a list: `Authorization: [Bearer <token>]`. Names kept verbatim.',
  }),
  // Go's defaults (the keys' doc says so); a positive duration stays positive, rounded up.
  timeoutMs: theirs('timeout', '1s', goDefault(readMs, DefaultTimeoutMs), {
    doc: 'Timeout of one HTTP attempt: a Go duration (`1s`, `500ms`, `1h2m`) or an integer in NANOSECONDS. <= 0 → 1s.',
  }),
  threshold: theirs('threshold', '10', goDefault(readInt, DefaultThreshold), {
    doc: 'Consecutive failed attempts retried at once; after that each retry waits `backoff`. <= 0 → 10.',
  }),
  backoffMs: theirs('backoff', '1s', goDefault(readMs, DefaultBackoffMs), {
    doc: 'Wait between retries once `threshold` failures in a row are reached (Go duration). <= 0 → 1s.',
  }),
  ignoredMediaTypes: theirs('ignoredmediatypes', '[]', readStringList, {
    doc: 'Target media types whose events are not sent (legacy key, merged with ignore.mediatypes).',
  }),
  ignore: {
    mediaTypes: theirs('ignore.mediatypes', '[]', readStringList, {
      doc: 'Target media types whose events are not sent.',
    }),
    actions: theirs('ignore.actions', '[]', readActions, {
      doc: 'Actions whose events are not sent: pull, push, mount, delete (independent of media types).',
    }),
  },
  mediaType: ours(
    'mediatype',
    "''",
    oneOf(MEDIA_TYPES, '', `must be '', ${EventsMediaType} or ${EventsMediaTypeV2}`),
    {
      doc: "Content-Type of the envelopes sent: application/vnd.docker.distribution.events.v1+json or …v2+json; '' = as received.",
    },
  ),
  maxBatch: ours('maxbatch', '1', range(1, 1, 1000), {
    doc: 'Up to this many consecutive pending events are packed into one envelope (1-1000; 1 = one event per POST, like the registry).',
  }),
  ordering: ours('ordering', 'strict', oneOf(['strict', 'parallel', 'repository'], 'strict'), {
    doc: 'strict = in acceptance order, one delivery in flight; parallel = no order, `concurrency` in flight; repository = in acceptance order per repository (`target.repository`), one delivery in flight per repository, `concurrency` repositories at once across all workers (docs/ordering.md).',
  }),
  concurrency: ours('concurrency', '1', range(1, 1, 1000), {
    doc: 'Deliveries in flight at once across all workers; > 1 needs ordering: parallel or repository.',
  }),
  maxRetries: ours('maxretries', '0', range(0, 0, Number.MAX_SAFE_INTEGER), {
    doc: 'Failed attempts after which an event goes to the dead-letter set; 0 = retry for ever (the registry).',
  }),
  maxAgeMs: ours('maxage', '0', readMaxAge, {
    doc: 'Age (Go duration) after which an undelivered event goes to the dead-letter set; 0 = never.',
  }),
  rateLimit: {
    max: ours('ratelimit.max', '0', range(0, 0, 100_000), {
      doc: 'At most this many POSTs (retries included) reach the endpoint in any interval of `ratelimit.per`, counted across every worker process in Redis (docs/ratelimit.md); 0-100000, 0 = no limit. A worker waits for a free slot holding its event: the order is kept, and a recovered endpoint is not flooded by its backlog.',
    }),
    perMs: ours('ratelimit.per', '1s', within1msTo24h(1000), {
      doc: 'The interval of `ratelimit.max` (Go duration, 1ms to 24h).',
    }),
  },
  retryAfter: ours('retryafter', 'false', readBool, {
    doc: 'Honour Retry-After on 429/503 as the backoff.',
  }),
  retryAfterMaxMs: ours('retryaftermax', '5m', within1msTo24h(DefaultRetryAfterMaxMs), {
    doc: 'Longest wait a Retry-After may ask for (Go duration, 1ms to 24h); a longer one, or an HTTP-date further ahead, is cut to this. The wait holds every worker of the endpoint, so one answer like `Retry-After: 99999999999` must not stop it for years; 5m covers the minute-scale windows of common rate limits and the time a receiver restart takes.',
  }),
  /** PEM texts read from the configured files at load time ('' when not configured). */
  tls: {
    ca: ours('tls.ca', "''", readPem, {
      doc: 'PEM file of CA certificates to trust for this endpoint (read at start-up).',
    }),
    cert: ours('tls.certificate', "''", readPem, {
      doc: 'PEM file of the client certificate (with tls.key).',
    }),
    key: ours('tls.key', "''", readPem, {
      doc: 'PEM file of the client private key (with tls.certificate).',
    }),
    insecureSkipVerify: ours('tls.insecureskipverify', 'false', readBool, {
      doc: 'Do not verify the server certificate (testing only).',
    }),
    // The files' paths are kept beside their text: `regnotify config` prints the paths.
    caFile: also('tls.ca', readString),
    certFile: also('tls.certificate', readString),
    keyFile: also('tls.key', readString),
  },
  repositories: {
    include: ours('repositories.include', '[]', readStringList, {
      doc: 'Only events for repositories matching one of these globs (`*` = any run of characters); [] = all.',
    }),
    exclude: ours('repositories.exclude', '[]', readStringList, {
      doc: 'No events for repositories matching one of these globs.',
    }),
  },
  tags: {
    include: ours('tags.include', '[]', readStringList, {
      doc: 'Only events whose tag matches one of these globs (events without a tag pass); [] = all.',
    }),
    exclude: ours('tags.exclude', '[]', readStringList, {
      doc: 'No events whose tag matches one of these globs.',
    }),
  },
  signing: {
    secrets: ours('signing.secrets', '[]', readSecrets, {
      doc: 'Sign every request as Standard Webhooks specifies (docs/signing.md): `webhook-id` (msg_ + base64url SHA-256 of the event ids; the same on every retry), `webhook-timestamp` and `webhook-signature` (`v1,<HMAC-SHA256>` per secret, computed per attempt). Each secret is `whsec_` + standard base64 of 24 to 64 random bytes; list two while rotating. [] = unsigned. Secrets are redacted in logs and `regnotify config`.',
    }),
  },
  format: ours('format', 'envelope', oneOf(['envelope', 'cloudevents'], 'envelope'), {
    doc: "envelope = the registry's envelope; cloudevents = one CloudEvents 1.0 JSON per event (application/cloudevents+json; with maxbatch > 1 an array, application/cloudevents-batch+json), `data` = the event as stored, `type` = io.github.distribution.notification.<action> (docs/cloudevents.md).",
  }),
  source: ours('source', "''", readSource, {
    doc: "CloudEvents `source` (a URI reference, e.g. https://registry.example.com); '' = `//` + the event's source.addr, else urn:uuid:<source.instanceID>, else urn:regnotify:unknown-source.",
  }),
} satisfies SettingsTree;

export const isSetting = (node: SettingsTree[string]): node is Setting<string, unknown> =>
  'read' in node;

const settingsIn = (tree: SettingsTree): Setting<string, unknown>[] =>
  Object.values(tree).flatMap((node) => (isSetting(node) ? [node] : settingsIn(node)));

/** The documented keys of an endpoint, in the table's order. */
export const ENDPOINT_KEYS: readonly NotificationKey[] = settingsIn(SETTINGS).filter(
  (s) => s.doc !== '',
);

/** The settings a tree gives: each reader's value, a section for each subtree. */
type SettingsOf<T> = {
  -readonly [K in keyof T]: T[K] extends Setting<string, infer V> ? V : SettingsOf<T[K]>;
};

/** One endpoint as loaded: camelCase, defaults applied, durations in ms (the table says each). */
export type EndpointSettings = SettingsOf<typeof SETTINGS>;

type KeysOf<T> = {
  [K in keyof T]: T[K] extends Setting<infer Key, unknown> ? Key : KeysOf<T[K]>;
}[keyof T];

/** The key paths of an endpoint, as the table names them. */
export type EndpointKey = KeysOf<typeof SETTINGS>;

/** Keys allowed at `path` inside an endpoint ('' = the endpoint itself). */
export function allowedEndpointKeys(path: string): Set<string> {
  const prefix = path === '' ? '' : `${path}.`;
  const out = new Set<string>();
  for (const { key } of ENDPOINT_KEYS) {
    if (key.startsWith(prefix)) out.add(key.slice(prefix.length).split('.')[0] ?? '');
  }
  return out;
}
