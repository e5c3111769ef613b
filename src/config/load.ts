/**
 * loadConfig: defaults < file (YAML or JSON; may be a registry's own config.yml) < environment
 * < overrides. Nothing here reads process.env or process.argv: the caller passes them in.
 * Any problem throws one ConfigError naming the key (or the variable) at fault. Unknown keys
 * directly in the registry's `notifications:` section (or in `events`) are warnings, because
 * the registry's yaml.v2 ignores them and a newer registry may add some.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, toError } from '../errors.js';
import { parseEndpoint } from './registry/endpoint.js';
import type { ReadTextFile } from './registry/endpoint.js';
import { loadOwnSections } from './own-sections.js';
import { applyRegistryEnv, attributeToEnv } from './registry/env.js';
import { configSchema } from './schema.js';
import type { OwnConfig } from './schema.js';
import type { LoadedConfig, LoadOptions, NotificationSettings } from './types.js';
import { isMap, mergeMaps, readBool, readMap, unknownKeys } from './registry/values.js';
import { parseGoYaml } from './registry/yaml.js';
import type { RawMap } from './registry/values.js';

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

/** Keys allowed directly inside `notifications:` (anything else: a warning, as yaml.v2 ignores it). */
const SECTION_TOP_KEYS: ReadonlySet<string> = new Set(['events', 'endpoints']);

/** The registry's `notifications:` section → NotificationSettings. */
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

function loadNotifications(
  doc: RawMap,
  overrides: RawMap,
  env: Record<string, string | undefined>,
  warnings: string[],
): NotificationSettings {
  const fromEnv = applyRegistryEnv(readMap(doc['notifications'], 'notifications'), env, warnings);
  const section = mergeMaps(fromEnv.section, overrides['notifications']);
  try {
    return parseNotifications(section, warnings, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    throw err instanceof ConfigError ? attributeToEnv(err, fromEnv.provenance) : err;
  }
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
