/**
 * One `notifications.endpoints[i]` entry → EndpointSettings. The registry's keys keep their Go
 * meaning (durations, defaults applied as NewEndpoint does); on top, regnotify validates what it
 * needs even where Go does not: the name becomes part of Redis keys, and an invalid URL would
 * otherwise be retried for ever. Unknown keys inside an endpoint are errors (./keys.ts
 * lists the known ones, documents them and names the reader of each).
 */
import { ConfigError } from '../../errors.js';
import { unknownKeyError } from '../raw.js';
import type { RawMap } from '../raw.js';
import type { ReadTextFile } from './endpoint-readers.js';
import { checkEndpointUrl } from './endpoint-url.js';
import { allowedEndpointKeys, isSetting, SETTINGS } from './keys.js';
import type { EndpointSettings, SettingsTree } from './keys.js';
import { readMap } from './values.js';

export type { EndpointSettings, ReadTextFile };
export { ENDPOINT_NAME_PATTERN } from './endpoint-readers.js';

/**
 * The raw value of each key of endpoint `raw` (at `path`). A map (`tls`, `ignore`…) is checked
 * for unknown keys when one of its keys is first read.
 */
function endpointValues(raw: unknown, path: string): (key: string) => unknown {
  const maps = new Map<string, RawMap>();
  const mapAt = (sub: string): RawMap => {
    const known = maps.get(sub);
    if (known) return known;
    const where = sub === '' ? path : `${path}.${sub}`;
    const map = readMap(sub === '' ? raw : mapAt('')[sub], where);
    const allowed = allowedEndpointKeys(sub);
    const bad = Object.keys(map).find((k) => !allowed.has(k));
    if (bad !== undefined) throw unknownKeyError(bad, allowed, where);
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
      out[setting] = isSetting(node)
        ? node.read(valueOf(node.key), `${path}.${node.key}`, readText)
        : read(node);
    }
    return out;
  };
  // The object built is SETTINGS with each reader's value, which is what its type says.
  const settings = read(SETTINGS) as EndpointSettings;
  checkTogether(settings, path);
  return settings;
}
