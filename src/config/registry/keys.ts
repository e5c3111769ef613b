/**
 * The keys of the registry's `notifications:` section, which regnotify reads with the original's
 * meaning (docs/compatibility.md §7), plus regnotify's own per-endpoint keys, lower-case like the registry's.
 * This table is the documentation, the list of accepted keys (anything else inside an endpoint
 * is an error), the field tree of the variables (./env.ts), and the names ./endpoint.ts
 * reads the values by (checked by the compiler: EndpointKey).
 *
 * Environment: the registry's own override scheme, REGISTRY_NOTIFICATIONS_ + upper-cased Go
 * field names joined by '_' (our keys follow the same pattern; a registry ignores them).
 */

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

export const SECTION_KEYS: readonly NotificationKey[] = [
  {
    key: 'events.includereferences',
    field: 'EVENTCONFIG_INCLUDEREFERENCES',
    doc: 'Add `references` (the descriptors a manifest points to) to manifest events.',
    default: 'false',
    registry: true,
  },
];

/** A maker of keys: the registry's own (`theirs`, its configuration.Endpoint) or regnotify's. */
const keyOf =
  (registry: boolean) =>
  <K extends string>(key: K, doc: string, def: string): NotificationKey<K> => ({
    key,
    field: key.toUpperCase().replaceAll('.', '_'),
    doc,
    default: def,
    registry,
  });
const theirs = keyOf(true);
const ours = keyOf(false);

export const ENDPOINT_KEYS = [
  theirs(
    'name',
    'Endpoint name: required, unique, [A-Za-z0-9][A-Za-z0-9._-]{0,99} (it is part of Redis key names).',
    '(required)',
  ),
  theirs(
    'disabled',
    'true = the endpoint is kept in the list but gets no deliveries (the registry does not create it).',
    'false',
  ),
  theirs(
    'url',
    'Absolute http(s) URL the envelopes are POSTed to, the host written after //; no whitespace, control characters, backslash or fragment. A user:password in it is sent as Basic auth (as Go does) and shown as ***; query values are shown as ***.',
    '(required)',
  ),
  theirs(
    'headers',
    'Extra request headers; each value MUST be a list: `Authorization: [Bearer <token>]`. Names kept verbatim.',
    '{}',
  ),
  theirs(
    'timeout',
    'Timeout of one HTTP attempt: a Go duration (`1s`, `500ms`, `1h2m`) or an integer in NANOSECONDS. <= 0 → 1s.',
    '1s',
  ),
  theirs(
    'threshold',
    'Consecutive failed attempts retried at once; after that each retry waits `backoff`. <= 0 → 10.',
    '10',
  ),
  theirs(
    'backoff',
    'Wait between retries once `threshold` failures in a row are reached (Go duration). <= 0 → 1s.',
    '1s',
  ),
  theirs(
    'ignoredmediatypes',
    'Target media types whose events are not sent (legacy key, merged with ignore.mediatypes).',
    '[]',
  ),
  theirs('ignore.mediatypes', 'Target media types whose events are not sent.', '[]'),
  theirs(
    'ignore.actions',
    'Actions whose events are not sent: pull, push, mount, delete (independent of media types).',
    '[]',
  ),
  ours(
    'mediatype',
    "Content-Type of the envelopes sent: application/vnd.docker.distribution.events.v1+json or …v2+json; '' = as received.",
    "''",
  ),
  ours(
    'maxbatch',
    'Up to this many consecutive pending events are packed into one envelope (1-1000; 1 = one event per POST, like the registry).',
    '1',
  ),
  ours(
    'ordering',
    'strict = in acceptance order, one delivery in flight; parallel = no order, `concurrency` in flight; repository = in acceptance order per repository (`target.repository`), one delivery in flight per repository, `concurrency` repositories at once across all workers (docs/ordering.md).',
    'strict',
  ),
  ours(
    'concurrency',
    'Deliveries in flight at once across all workers; > 1 needs ordering: parallel or repository.',
    '1',
  ),
  ours(
    'maxretries',
    'Failed attempts after which an event goes to the dead-letter set; 0 = retry for ever (the registry).',
    '0',
  ),
  ours(
    'maxage',
    'Age (Go duration) after which an undelivered event goes to the dead-letter set; 0 = never.',
    '0',
  ),
  ours(
    'ratelimit.max',
    'At most this many POSTs (retries included) reach the endpoint in any interval of `ratelimit.per`, counted across every worker process in Redis (docs/ratelimit.md); 0-100000, 0 = no limit. A worker waits for a free slot holding its event: the order is kept, and a recovered endpoint is not flooded by its backlog.',
    '0',
  ),
  ours('ratelimit.per', 'The interval of `ratelimit.max` (Go duration, 1ms to 24h).', '1s'),
  ours('retryafter', 'Honour Retry-After on 429/503 as the backoff.', 'false'),
  ours(
    'retryaftermax',
    'Longest wait a Retry-After may ask for (Go duration, 1ms to 24h); a longer one, or an HTTP-date further ahead, is cut to this. The wait holds every worker of the endpoint, so one answer like `Retry-After: 99999999999` must not stop it for years; 5m covers the minute-scale windows of common rate limits and the time a receiver restart takes.',
    '5m',
  ),
  ours(
    'tls.ca',
    'PEM file of CA certificates to trust for this endpoint (read at start-up).',
    "''",
  ),
  ours('tls.certificate', 'PEM file of the client certificate (with tls.key).', "''"),
  ours('tls.key', 'PEM file of the client private key (with tls.certificate).', "''"),
  ours('tls.insecureskipverify', 'Do not verify the server certificate (testing only).', 'false'),
  ours(
    'repositories.include',
    'Only events for repositories matching one of these globs (`*` = any run of characters); [] = all.',
    '[]',
  ),
  ours('repositories.exclude', 'No events for repositories matching one of these globs.', '[]'),
  ours(
    'tags.include',
    'Only events whose tag matches one of these globs (events without a tag pass); [] = all.',
    '[]',
  ),
  ours('tags.exclude', 'No events whose tag matches one of these globs.', '[]'),
  ours(
    'signing.secrets',
    'Sign every request as Standard Webhooks specifies (docs/signing.md): `webhook-id` (msg_ + base64url SHA-256 of the event ids; the same on every retry), `webhook-timestamp` and `webhook-signature` (`v1,<HMAC-SHA256>` per secret, computed per attempt). Each secret is `whsec_` + standard base64 of 24 to 64 random bytes; list two while rotating. [] = unsigned. Secrets are redacted in logs and `regnotify config`.',
    '[]',
  ),
  ours(
    'format',
    "envelope = the registry's envelope; cloudevents = one CloudEvents 1.0 JSON per event (application/cloudevents+json; with maxbatch > 1 an array, application/cloudevents-batch+json), `data` = the event as stored, `type` = io.github.distribution.notification.<action> (docs/cloudevents.md).",
    'envelope',
  ),
  ours(
    'source',
    "CloudEvents `source` (a URI reference, e.g. https://registry.example.com); '' = `//` + the event's source.addr, else urn:uuid:<source.instanceID>, else urn:regnotify:unknown-source.",
    "''",
  ),
];

/** The key paths of an endpoint, as ./endpoint.ts names them. */
export type EndpointKey = (typeof ENDPOINT_KEYS)[number]['key'];

/** Keys allowed at `path` inside an endpoint ('' = the endpoint itself). */
export function allowedEndpointKeys(path: string): Set<string> {
  const prefix = path === '' ? '' : `${path}.`;
  const out = new Set<string>();
  for (const { key } of ENDPOINT_KEYS) {
    if (key.startsWith(prefix)) out.add(key.slice(prefix.length).split('.')[0] ?? '');
  }
  return out;
}
