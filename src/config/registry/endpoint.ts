/**
 * One `notifications.endpoints[i]` entry → EndpointSettings. The registry's keys keep their Go
 * meaning (durations, defaults applied as NewEndpoint does); on top, regnotify validates what it
 * needs even where Go does not: the name becomes part of Redis keys, and an invalid URL would
 * otherwise be retried for ever. Unknown keys inside an endpoint are errors (./keys.ts
 * lists the known ones).
 */
import { ConfigError, toError } from '../../errors.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../events/types.js';
import { endpointTiming } from '../../sinks/defaults.js';
import { DefaultRetryAfterMaxMs } from '../../sinks/http-response.js';
import { secretProblem } from '../../sinks/signing.js';
import { formatGoDuration, nanosToMs } from './duration.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { allowedEndpointKeys } from './keys.js';
import type { EndpointKey } from './keys.js';
import type { EndpointMediaType, EndpointSettings } from './notifications.js';
import { readBool, readDurationNs, readHeaders, readInt, readMap, readString } from './values.js';
import { readStringList, rejectUnknownKeys } from './values.js';
import type { RawMap } from '../raw.js';

/** Reads a PEM file named in the config; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

export const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTIONS = new Set(['pull', 'push', 'mount', 'delete']);
const MEDIA_TYPES: readonly EndpointMediaType[] = ['', EventsMediaType, EventsMediaTypeV2];
const ORDERINGS: readonly EndpointSettings['ordering'][] = ['strict', 'parallel'];
const FORMATS: readonly EndpointSettings['format'][] = ['envelope', 'cloudevents'];
/** The characters of RFC 3986; a CloudEvents `source` is a non-empty URI reference. */
const URI_REFERENCE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const MS_NS = 1_000_000;
const MAX_RETRY_AFTER_MAX_NS = 24 * 60 * 60 * 1000 * MS_NS;

/** A Go duration in ms, rounded up: a positive one stays positive, so only <= 0 is "unset". */
const readMs = (v: unknown, key: string): number => nanosToMs(readDurationNs(v, key));

/** A reader of an integer from `min` to `max`, `def` when unset. */
function range(def: number, min: number, max: number) {
  return (v: unknown, key: string): number => {
    const n = v === undefined || v === null ? def : readInt(v, key);
    if (n < min || n > max) throw new ConfigError(key, `must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

function readName(v: unknown, key: string): string {
  const name = readString(v, key);
  if (ENDPOINT_NAME_PATTERN.test(name)) return name;
  const why = `must match ${ENDPOINT_NAME_PATTERN.source}, got ${JSON.stringify(name)}`;
  throw new ConfigError(key, name === '' ? 'required' : why);
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

function readFormat(v: unknown, key: string): EndpointSettings['format'] {
  const text = readString(v, key) || 'envelope';
  const found = FORMATS.find((f) => f === text);
  if (found !== undefined) return found;
  throw new ConfigError(key, `must be envelope or cloudevents, got ${JSON.stringify(text)}`);
}

function readSource(v: unknown, key: string): string {
  const text = readString(v, key);
  if (text === '' || URI_REFERENCE.test(text)) return text;
  throw new ConfigError(key, `must be a URI reference (RFC 3986), got ${JSON.stringify(text)}`);
}

/** `whsec_` secrets; an error names the item but never echoes it (it is a credential). */
function readSecrets(v: unknown, key: string): string[] {
  if (v !== null && v !== undefined && !Array.isArray(v)) {
    throw new ConfigError(key, 'must be a list: write secrets: [whsec_…]');
  }
  const secrets = readStringList(v, key);
  secrets.forEach((secret, i) => {
    const problem = secretProblem(secret);
    if (problem !== undefined) throw new ConfigError(`${key}[${i}]`, problem);
  });
  return secrets;
}

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

/** The text of the PEM file the value names ('' = none). */
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

/**
 * A function that reads key `key` of endpoint `raw` (at `path`) with `read`, naming the key in
 * errors. A map (`tls`, `ignore`…) is checked for unknown keys when one of its keys is first read.
 */
function endpointReader(raw: unknown, path: string) {
  const maps = new Map<string, RawMap>();
  const mapAt = (sub: string): RawMap => {
    const known = maps.get(sub);
    if (known) return known;
    const where = sub === '' ? path : `${path}.${sub}`;
    const map = readMap(sub === '' ? raw : mapAt('')[sub], where);
    rejectUnknownKeys(map, allowedEndpointKeys(sub), where);
    maps.set(sub, map);
    return map;
  };
  mapAt('');
  return <T>(key: EndpointKey, read: (v: unknown, key: string) => T): T => {
    const dot = key.indexOf('.');
    const value = dot < 0 ? mapAt('')[key] : mapAt(key.slice(0, dot))[key.slice(dot + 1)];
    return read(value, `${path}.${key}`);
  };
}

/**
 * Parse and validate endpoint `raw` found at `path` (e.g. `notifications.endpoints[0]`). The
 * keys are read in the order of the settings, except where a check needs two of them first.
 */
export function parseEndpoint(
  raw: unknown,
  path: string,
  readText: ReadTextFile,
): EndpointSettings {
  const get = endpointReader(raw, path);
  const name = get('name', readName);
  const disabled = get('disabled', readBool);
  const url = get('url', readString);
  checkEndpointUrl(url, disabled, `${path}.url`);
  const headers = get('headers', readHeaders);
  // Rounding up keeps a positive duration positive, so only unset, 0 and < 0 get the default.
  const timing = endpointTiming({
    timeoutMs: get('timeout', readMs),
    threshold: get('threshold', readInt),
    backoffMs: get('backoff', readMs),
  });
  const ignoredMediaTypes = get('ignoredmediatypes', readStringList);
  const actions = get('ignore.actions', readActions);
  const ignore = { mediaTypes: get('ignore.mediatypes', readStringList), actions };
  const mediaType = get('mediatype', readMediaType);
  const ordering = get('ordering', readOrdering);
  const concurrency = get('concurrency', range(1, 1, 1000));
  if (concurrency > 1 && ordering !== 'parallel') {
    throw new ConfigError(`${path}.concurrency`, 'must be 1 unless ordering is parallel');
  }
  const maxAgeMs = get('maxage', readMaxAge);
  const pem = (key: EndpointKey): string => get(key, (v, at) => readPem(v, at, readText));
  const tls = () => {
    const [ca, cert, key] = [pem('tls.ca'), pem('tls.certificate'), pem('tls.key')];
    const insecureSkipVerify = get('tls.insecureskipverify', readBool);
    if ((cert === '') !== (key === '')) {
      throw new ConfigError(`${path}.tls`, 'certificate and key must be given together');
    }
    return { ca, cert, key, insecureSkipVerify };
  };
  const filter = (of: 'repositories' | 'tags') => ({
    include: get(`${of}.include`, readStringList),
    exclude: get(`${of}.exclude`, readStringList),
  });
  return {
    name,
    url,
    disabled,
    headers,
    ...timing,
    ignoredMediaTypes,
    ignore,
    mediaType,
    maxBatch: get('maxbatch', range(1, 1, 1000)),
    ordering,
    concurrency,
    maxRetries: get('maxretries', range(0, 0, Number.MAX_SAFE_INTEGER)),
    maxAgeMs,
    retryAfter: get('retryafter', readBool),
    retryAfterMaxMs: get('retryaftermax', readRetryAfterMax),
    tls: tls(),
    repositories: filter('repositories'),
    tags: filter('tags'),
    signing: { secrets: get('signing.secrets', readSecrets) },
    format: get('format', readFormat),
    source: get('source', readSource),
  };
}
