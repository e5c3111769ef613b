/**
 * One `notifications.endpoints[i]` entry → EndpointSettings. The registry's keys keep their Go
 * meaning (durations, defaults applied as NewEndpoint does); on top, regnotify validates what it
 * needs even where Go does not: the name becomes part of Redis keys, and an invalid URL would
 * otherwise be retried for ever.
 */
import { ConfigError, toError } from '../errors.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../events/types.js';
import { endpointTiming } from '../sinks/defaults.js';
import { DefaultRetryAfterMaxMs } from '../sinks/http-response.js';
import { formatGoDuration, nanosToMs } from './duration.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { allowedEndpointKeys } from './endpoint-schema.js';
import type { EndpointMediaType, EndpointSettings, PatternFilter, TlsSettings } from './types.js';
import {
  readBool,
  readDurationNs,
  readHeaders,
  readInt,
  readMap,
  readString,
  readStringList,
  rejectUnknownKeys,
} from './values.js';

/** Reads a PEM file named in the config; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

export const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTIONS = new Set(['pull', 'push', 'mount', 'delete']);
const MEDIA_TYPES: readonly EndpointMediaType[] = ['', EventsMediaType, EventsMediaTypeV2];
const ORDERINGS: readonly EndpointSettings['ordering'][] = ['strict', 'parallel'];
const MS_NS = 1_000_000;
const MAX_RETRY_AFTER_MAX_NS = 24 * 60 * 60 * 1000 * MS_NS;

function readRange(v: unknown, key: string, def: number, min: number, max: number): number {
  const n = v === undefined || v === null ? def : readInt(v, key);
  if (n < min || n > max) throw new ConfigError(key, `must be from ${min} to ${max}, got ${n}`);
  return n;
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

function readFilter(v: unknown, key: string): PatternFilter {
  const map = readMap(v, key);
  rejectUnknownKeys(map, new Set(['include', 'exclude']), key);
  return {
    include: readStringList(map['include'], `${key}.include`),
    exclude: readStringList(map['exclude'], `${key}.exclude`),
  };
}

function readTls(v: unknown, key: string, readText: ReadTextFile): TlsSettings {
  const map = readMap(v, key);
  rejectUnknownKeys(map, allowedEndpointKeys('tls'), key);
  const pem = (field: string): string => {
    const file = readString(map[field], `${key}.${field}`);
    if (file === '') return '';
    try {
      return readText(file);
    } catch (err) {
      throw new ConfigError(
        `${key}.${field}`,
        `cannot read ${JSON.stringify(file)}: ${toError(err).message}`,
        { cause: err },
      );
    }
  };
  const tls = {
    ca: pem('ca'),
    cert: pem('certificate'),
    key: pem('key'),
    insecureSkipVerify: readBool(map['insecureskipverify'], `${key}.insecureskipverify`),
  };
  if ((tls.cert === '') !== (tls.key === '')) {
    throw new ConfigError(key, 'certificate and key must be given together');
  }
  return tls;
}

function readIgnore(v: unknown, key: string): EndpointSettings['ignore'] {
  const map = readMap(v, key);
  rejectUnknownKeys(map, allowedEndpointKeys('ignore'), key);
  const actions = readStringList(map['actions'], `${key}.actions`);
  actions.forEach((a, i) => {
    if (!ACTIONS.has(a)) {
      throw new ConfigError(
        `${key}.actions[${i}]`,
        `unknown action ${JSON.stringify(a)} (pull, push, mount, delete)`,
      );
    }
  });
  return { mediaTypes: readStringList(map['mediatypes'], `${key}.mediatypes`), actions };
}

function readDelivery(map: Record<string, unknown>, path: string) {
  const text = readString(map['mediatype'], `${path}.mediatype`);
  const mediaType = MEDIA_TYPES.find((t) => t === text);
  if (mediaType === undefined) {
    throw new ConfigError(
      `${path}.mediatype`,
      `must be '', ${EventsMediaType} or ${EventsMediaTypeV2}`,
    );
  }
  const orderingText = readString(map['ordering'], `${path}.ordering`) || 'strict';
  const ordering = ORDERINGS.find((o) => o === orderingText);
  if (ordering === undefined) {
    throw new ConfigError(
      `${path}.ordering`,
      `must be strict or parallel, got ${JSON.stringify(orderingText)}`,
    );
  }
  const concurrency = readRange(map['concurrency'], `${path}.concurrency`, 1, 1, 1000);
  if (concurrency > 1 && ordering !== 'parallel') {
    throw new ConfigError(`${path}.concurrency`, 'must be 1 unless ordering is parallel');
  }
  const maxAgeNs = readDurationNs(map['maxage'], `${path}.maxage`);
  if (maxAgeNs < 0) throw new ConfigError(`${path}.maxage`, 'must not be negative');
  return {
    mediaType,
    maxBatch: readRange(map['maxbatch'], `${path}.maxbatch`, 1, 1, 1000),
    ordering,
    concurrency,
    maxRetries: readRange(map['maxretries'], `${path}.maxretries`, 0, 0, Number.MAX_SAFE_INTEGER),
    maxAgeMs: nanosToMs(maxAgeNs),
    retryAfter: readBool(map['retryafter'], `${path}.retryafter`),
    retryAfterMaxMs: readRetryAfterMax(map['retryaftermax'], `${path}.retryaftermax`),
  };
}

/** Parse and validate endpoint `raw` found at `path` (e.g. `notifications.endpoints[0]`). */
export function parseEndpoint(
  raw: unknown,
  path: string,
  readText: ReadTextFile,
): EndpointSettings {
  const map = readMap(raw, path);
  rejectUnknownKeys(map, allowedEndpointKeys(''), path);
  const name = readString(map['name'], `${path}.name`);
  if (!ENDPOINT_NAME_PATTERN.test(name)) {
    const problem =
      name === ''
        ? 'required'
        : `must match ${ENDPOINT_NAME_PATTERN.source}, got ${JSON.stringify(name)}`;
    throw new ConfigError(`${path}.name`, problem);
  }
  const disabled = readBool(map['disabled'], `${path}.disabled`);
  const url = readString(map['url'], `${path}.url`);
  checkEndpointUrl(url, disabled, `${path}.url`);
  return {
    name,
    url,
    disabled,
    headers: readHeaders(map['headers'], `${path}.headers`),
    // Rounding up keeps a positive duration positive, so only unset, 0 and < 0 get the default.
    ...endpointTiming({
      timeoutMs: nanosToMs(readDurationNs(map['timeout'], `${path}.timeout`)),
      threshold: readInt(map['threshold'], `${path}.threshold`),
      backoffMs: nanosToMs(readDurationNs(map['backoff'], `${path}.backoff`)),
    }),
    ignoredMediaTypes: readStringList(map['ignoredmediatypes'], `${path}.ignoredmediatypes`),
    ignore: readIgnore(map['ignore'], `${path}.ignore`),
    ...readDelivery(map, path),
    tls: readTls(map['tls'], `${path}.tls`, readText),
    repositories: readFilter(map['repositories'], `${path}.repositories`),
    tags: readFilter(map['tags'], `${path}.tags`),
  };
}
