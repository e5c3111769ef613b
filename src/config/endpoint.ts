/**
 * The registry's `notifications:` section → NotificationSettings. Each endpoint is read key by
 * key with the readers of ./endpoint-schema.ts: the registry's keys keep their Go meaning
 * (durations, defaults applied as NewEndpoint does); on top, regnotify validates what it needs
 * even where Go does not: the name becomes part of Redis keys, and an invalid URL would
 * otherwise be retried for ever. Unknown keys directly in the section (or in `events`) are
 * warnings, because the registry's yaml.v2 ignores them and a newer registry may add some;
 * unknown keys inside an endpoint are errors.
 */
import { ConfigError } from '../errors.js';
import { endpointTiming } from '../sinks/defaults.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { allowedEndpointKeys, ENDPOINT_SPECS } from './endpoint-schema.js';
import type { EndpointKey, EndpointValues, ReadTextFile } from './endpoint-schema.js';
import type { EndpointSettings, NotificationSettings } from './types.js';
import { readBool, readMap, rejectUnknownKeys, unknownKeys } from './values.js';
import type { RawMap } from './values.js';

/**
 * A function that reads one key of endpoint `raw` (at `path`) when asked: the order of the
 * reads is the order in which problems are found. A map (`tls`, `ignore`…) is checked for
 * unknown keys the first time one of its keys is read.
 */
function endpointReader(raw: unknown, path: string, readText: ReadTextFile) {
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
  return <K extends EndpointKey>(key: K): EndpointValues[K] => {
    const [sub, name] = key.includes('.') ? key.split('.') : ['', key];
    const value = mapAt(sub ?? '')[name ?? ''];
    return ENDPOINT_SPECS[key].read(value, `${path}.${key}`, readText);
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
  const get = endpointReader(raw, path, readText);
  const name = get('name');
  const disabled = get('disabled');
  const url = get('url');
  checkEndpointUrl(url, disabled, `${path}.url`);
  const headers = get('headers');
  const timing = {
    timeoutMs: get('timeout'),
    threshold: get('threshold'),
    backoffMs: get('backoff'),
  };
  const ignoredMediaTypes = get('ignoredmediatypes');
  const actions = get('ignore.actions');
  const ignore = { mediaTypes: get('ignore.mediatypes'), actions };
  const mediaType = get('mediatype');
  const ordering = get('ordering');
  const concurrency = get('concurrency');
  if (concurrency > 1 && ordering !== 'parallel') {
    throw new ConfigError(`${path}.concurrency`, 'must be 1 unless ordering is parallel');
  }
  const maxAgeMs = get('maxage');
  const tls = () => {
    const [ca, cert, key] = [get('tls.ca'), get('tls.certificate'), get('tls.key')];
    const settings = { ca, cert, key, insecureSkipVerify: get('tls.insecureskipverify') };
    if ((cert === '') === (key === '')) return settings;
    throw new ConfigError(`${path}.tls`, 'certificate and key must be given together');
  };
  const filter = (of: 'repositories' | 'tags') => ({
    include: get(`${of}.include`),
    exclude: get(`${of}.exclude`),
  });
  return {
    name,
    url,
    disabled,
    headers,
    ...endpointTiming(timing),
    ignoredMediaTypes,
    ignore,
    mediaType,
    maxBatch: get('maxbatch'),
    ordering,
    concurrency,
    maxRetries: get('maxretries'),
    maxAgeMs,
    retryAfter: get('retryafter'),
    retryAfterMaxMs: get('retryaftermax'),
    tls: tls(),
    repositories: filter('repositories'),
    tags: filter('tags'),
  };
}

/** Keys allowed directly inside `notifications:` (anything else: a warning, as yaml.v2 ignores it). */
const SECTION_TOP_KEYS: ReadonlySet<string> = new Set(['events', 'endpoints']);

export function parseNotifications(
  raw: unknown,
  warnings: string[],
  readText: ReadTextFile,
): NotificationSettings {
  const section = readMap(raw, 'notifications');
  const events = readMap(section['events'], 'notifications.events');
  const unknown = [
    ...unknownKeys(section, SECTION_TOP_KEYS, 'notifications'),
    ...unknownKeys(events, new Set(['includereferences']), 'notifications.events'),
  ];
  for (const key of unknown) warnings.push(`${key}: unknown key, ignored (as the registry does)`);
  const list = section['endpoints'] ?? [];
  if (!Array.isArray(list)) throw new ConfigError('notifications.endpoints', 'must be a list');
  const endpoints = list.map((raw: unknown, i) =>
    parseEndpoint(raw, `notifications.endpoints[${i}]`, readText),
  );
  endpoints.forEach((e, i) => {
    if (endpoints.findIndex((other) => other.name === e.name) < i) {
      const why = `duplicate endpoint name ${JSON.stringify(e.name)}`;
      throw new ConfigError(`notifications.endpoints[${i}].name`, why);
    }
  });
  const includeReferences = readBool(
    events['includereferences'],
    'notifications.events.includereferences',
  );
  return { includeReferences, endpoints };
}
