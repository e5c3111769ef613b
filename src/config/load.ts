/**
 * loadConfig: defaults < file (YAML or JSON; may be a registry's own config.yml) < environment
 * < overrides. Nothing here reads process.env or process.argv: the caller passes them in.
 * Any problem throws one ConfigError naming the key (or the variable) at fault. regnotify's own
 * sections are read by ./own-sections.ts, the registry's `notifications:` by ./registry/: this
 * is the one place that joins them.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, toError } from '../errors.js';
import { loadOwnSections } from './own-sections.js';
import { isMap } from './raw.js';
import type { RawMap } from './raw.js';
import { loadNotifications } from './registry/notifications.js';
import type { NotificationSettings } from './registry/notifications.js';
import { readMap } from './registry/values.js';
import { parseGoYaml } from './registry/yaml.js';
import { configSchema } from './schema.js';
import type { OwnConfig } from './schema.js';
import type { LoadedConfig, LoadOptions } from './types.js';

const words = (list: string): ReadonlySet<string> => new Set(list.split(' '));

/** Top-level sections of a registry's config.yml (v2 and v3): theirs, silently ignored. */
const REGISTRY_SECTIONS = words(
  'version log loglevel storage auth middleware http notifications redis reporting health proxy validation compatibility policy catalog',
);

/** Keys of the registry's own top-level `redis:` (its blob descriptor cache), v2 and v3. */
const REGISTRY_REDIS_KEYS = words(
  'addr addrs db dialtimeout readtimeout writetimeout pool tls username clientname',
);

/** Parse the file: `.json` as JSON, anything else as YAML (read as the registry's yaml.v2 does). */
function readConfigFile(file: string): RawMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read config file: ${toError(err).message}`, {
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : parseGoYaml(text);
  } catch (err) {
    const what = file.endsWith('.json') ? 'JSON' : 'YAML';
    throw new ConfigError(file, `invalid ${what}: ${toError(err).message}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (!isMap(doc)) throw new ConfigError(file, 'must contain a map of sections');
  return doc;
}

function warnUnknownSections(doc: RawMap, warnings: string[]): void {
  for (const key of Object.keys(doc)) {
    if (!Object.hasOwn(configSchema, key) && !REGISTRY_SECTIONS.has(key)) {
      warnings.push(
        `${key}: unknown top-level section (neither regnotify's nor the registry's); ignored`,
      );
    }
  }
}

/** `doc` without a registry's own `redis:` (its cache, not regnotify's Redis), with a warning. */
function withoutRegistryRedis(doc: RawMap, warnings: string[]): RawMap {
  const { redis, ...rest } = doc;
  const key = isMap(redis) ? Object.keys(redis).find((k) => REGISTRY_REDIS_KEYS.has(k)) : undefined;
  if (key === undefined) return doc;
  warnings.push(
    `redis: looks like the registry's own redis section (has "${key}"); ignored — set regnotify's Redis with REGNOTIFY_REDIS_URL or a separate file`,
  );
  return rest;
}

function checkWorkerEndpoints(own: OwnConfig, notifications: NotificationSettings): void {
  own.workers.endpoints.forEach((name, i) => {
    if (!notifications.endpoints.some((e) => e.name === name)) {
      const why = `no endpoint named ${JSON.stringify(name)} in notifications.endpoints`;
      throw new ConfigError(`workers.endpoints[${i}]`, why);
    }
  });
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const warnings: string[] = [];
  const doc = options.file !== undefined ? readConfigFile(options.file) : {};
  warnUnknownSections(doc, warnings);
  const overrides = readMap(options.overrides, 'overrides');
  const own = loadOwnSections(
    withoutRegistryRedis(doc, warnings),
    withoutRegistryRedis(overrides, warnings),
    env,
  );
  const notifications = loadNotifications(doc, overrides, env, warnings);
  checkWorkerEndpoints(own, notifications);
  return {
    config: { ...own, notifications },
    warnings,
    source: options.file !== undefined ? { file: options.file } : {},
  };
}
