/**
 * One `notifications.endpoints[i]` entry → EndpointSettings. The registry's keys keep their Go
 * meaning (durations, defaults applied as NewEndpoint does); on top, regnotify validates what it
 * needs even where Go does not: the name becomes part of Redis keys, and an invalid URL would
 * otherwise be retried for ever. Unknown keys inside an endpoint are errors (./keys.ts
 * lists the known ones and documents them).
 */
import { ConfigError, toError } from '../../errors.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../events/types.js';
import { DefaultBackoffMs, DefaultThreshold, DefaultTimeoutMs } from '../../sinks/defaults.js';
import { positiveOr } from '../../sinks/defaults.js';
import { DefaultRetryAfterMaxMs } from '../../sinks/http-response.js';
import { secretProblem } from '../../sinks/signing.js';
import type { RawMap } from '../raw.js';
import { formatGoDuration, nanosToMs } from './duration.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { allowedEndpointKeys } from './keys.js';
import type { EndpointKey } from './keys.js';
import { oneOf, range, readBool, readDurationNs, readHeaders, readInt } from './values.js';
import { readMap, readMs, readString, readStringList, rejectUnknownKeys } from './values.js';

/** Reads a PEM file named in the config; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

/** Reads one key's raw value `v` into its setting; `key` is the path errors name. */
type Reader<T> = (v: unknown, key: string, readText: ReadTextFile) => T;

export const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTIONS = new Set(['pull', 'push', 'mount', 'delete']);
const MEDIA_TYPES = ['', EventsMediaType, EventsMediaTypeV2] as const;
/** The characters of RFC 3986; a CloudEvents `source` is a non-empty URI reference. */
const URI_REFERENCE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const MS_NS = 1_000_000;
/** The longest `retryaftermax` and `ratelimit.per`. */
const MAX_DURATION_NS = 24 * 60 * 60 * 1000 * MS_NS;

/** `read`, with Go's default for an unset, zero or negative value (../../sinks/defaults.ts). */
function goDefault(read: Reader<number>, def: number): Reader<number> {
  return (v, key, readText) => positiveOr(read(v, key, readText), def);
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

/**
 * A Go duration from 1ms to 24h, in ms; `defMs` when unset. `retryaftermax` (0 would turn
 * Retry-After off unsaid) and `ratelimit.per`.
 */
function within1msTo24h(defMs: number): Reader<number> {
  return (v, key) => {
    if (v === undefined || v === null) return defMs;
    const ns = readDurationNs(v, key);
    if (ns < MS_NS || ns > MAX_DURATION_NS) {
      throw new ConfigError(key, `must be from 1ms to 24h, got ${formatGoDuration(ns)}`);
    }
    return nanosToMs(ns);
  };
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
 * Each setting of an endpoint: the key it is read from and its reader. EndpointSettings is its
 * type; the keys are read in this order (the settings' order), then what needs two of them.
 */
const SETTINGS = defineSettings({
  name: ['name', readName],
  url: ['url', readString],
  disabled: ['disabled', readBool],
  headers: ['headers', readHeaders],
  // Go's defaults (the keys' doc says so); a positive duration stays positive, rounded up.
  timeoutMs: ['timeout', goDefault(readMs, DefaultTimeoutMs)],
  threshold: ['threshold', goDefault(readInt, DefaultThreshold)],
  backoffMs: ['backoff', goDefault(readMs, DefaultBackoffMs)],
  ignoredMediaTypes: ['ignoredmediatypes', readStringList],
  ignore: {
    mediaTypes: ['ignore.mediatypes', readStringList],
    actions: ['ignore.actions', readActions],
  },
  /** '' = send the media type the event was received with. */
  mediaType: [
    'mediatype',
    oneOf(MEDIA_TYPES, '', `must be '', ${EventsMediaType} or ${EventsMediaTypeV2}`),
  ],
  maxBatch: ['maxbatch', range(1, 1, 1000)],
  /** repository = in order per repository, `concurrency` repositories at once. */
  ordering: ['ordering', oneOf(['strict', 'parallel', 'repository'], 'strict')],
  concurrency: ['concurrency', range(1, 1, 1000)],
  maxRetries: ['maxretries', range(0, 0, Number.MAX_SAFE_INTEGER)],
  maxAgeMs: ['maxage', readMaxAge],
  /** At most `max` POSTs per `perMs` across every worker; max 0 = no limit. */
  rateLimit: {
    max: ['ratelimit.max', range(0, 0, 100_000)],
    perMs: ['ratelimit.per', within1msTo24h(1000)],
  },
  retryAfter: ['retryafter', readBool],
  retryAfterMaxMs: ['retryaftermax', within1msTo24h(DefaultRetryAfterMaxMs)],
  /** PEM texts read from the configured files at load time ('' when not configured). */
  tls: {
    ca: ['tls.ca', readPem],
    cert: ['tls.certificate', readPem],
    key: ['tls.key', readPem],
    insecureSkipVerify: ['tls.insecureskipverify', readBool],
    // The files' paths are kept beside their text: `regnotify config` prints the paths.
    caFile: ['tls.ca', readString],
    certFile: ['tls.certificate', readString],
    keyFile: ['tls.key', readString],
  },
  repositories: {
    include: ['repositories.include', readStringList],
    exclude: ['repositories.exclude', readStringList],
  },
  tags: { include: ['tags.include', readStringList], exclude: ['tags.exclude', readStringList] },
  signing: { secrets: ['signing.secrets', readSecrets] },
  format: ['format', oneOf(['envelope', 'cloudevents'], 'envelope')],
  source: ['source', readSource],
});

type KeyReader = readonly [EndpointKey, Reader<unknown>];
interface SettingsTree {
  [setting: string]: KeyReader | SettingsTree;
}
const isKeyReader = (node: KeyReader | SettingsTree): node is KeyReader => Array.isArray(node);

/** The keys a tree of readers reads. */
type KeysRead<T> = {
  [K in keyof T]: T[K] extends readonly [infer Key, unknown] ? Key : KeysRead<T[K]>;
}[keyof T];

/**
 * `tree` as written (its readers' types kept for SettingsOf), refused by the compiler unless it
 * reads every key ./keys.ts documents: one that no reader reads would be accepted and ignored.
 */
function defineSettings<const T extends SettingsTree>(
  tree: T & ([Exclude<EndpointKey, KeysRead<T>>] extends [never] ? unknown : never),
): T {
  return tree;
}

/** The settings a tree of readers gives: each reader's value, a section for each subtree. */
type SettingsOf<T> = {
  -readonly [K in keyof T]: T[K] extends readonly [string, Reader<infer V>] ? V : SettingsOf<T[K]>;
};

/** One endpoint as loaded: camelCase, defaults applied, durations in ms (./keys.ts says each). */
export type EndpointSettings = SettingsOf<typeof SETTINGS>;

/**
 * The raw value of each key of endpoint `raw` (at `path`). A map (`tls`, `ignore`…) is checked
 * for unknown keys when one of its keys is first read.
 */
function endpointValues(raw: unknown, path: string): (key: EndpointKey) => unknown {
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
  return (key) => {
    const dot = key.indexOf('.');
    return dot < 0 ? mapAt('')[key] : mapAt(key.slice(0, dot))[key.slice(dot + 1)];
  };
}

/** What needs two keys at once (each key alone was checked by its reader). */
function checkTogether(e: EndpointSettings, path: string): void {
  checkEndpointUrl(e.url, e.disabled, `${path}.url`);
  if (e.concurrency > 1 && e.ordering === 'strict') {
    const why = 'must be 1 unless ordering is parallel or repository';
    throw new ConfigError(`${path}.concurrency`, why);
  }
  if ((e.tls.cert === '') !== (e.tls.key === '')) {
    throw new ConfigError(`${path}.tls`, 'certificate and key must be given together');
  }
  if (e.signing.secrets.length > 0) {
    // The signature headers are computed per attempt; a configured one would be sent beside
    // them and a receiver would read either.
    const taken = Object.keys(e.headers).find((h) => SIGNING_HEADERS.has(h.toLowerCase()));
    if (taken !== undefined) {
      const why = `${taken} is set by signing.secrets; remove it from headers`;
      throw new ConfigError(`${path}.headers`, why);
    }
  }
}

const SIGNING_HEADERS = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature']);

/** Parse and validate endpoint `raw` found at `path` (e.g. `notifications.endpoints[0]`). */
export function parseEndpoint(
  raw: unknown,
  path: string,
  readText: ReadTextFile,
): EndpointSettings {
  const valueOf = endpointValues(raw, path);
  const read = (tree: SettingsTree): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [setting, node] of Object.entries(tree)) {
      out[setting] = isKeyReader(node)
        ? node[1](valueOf(node[0]), `${path}.${node[0]}`, readText)
        : read(node);
    }
    return out;
  };
  // The object built is SETTINGS with each reader's value, which is what its type says.
  const settings = read(SETTINGS) as EndpointSettings;
  checkTogether(settings, path);
  return settings;
}
