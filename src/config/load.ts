/**
 * loadConfig: defaults < file (YAML or JSON; may be a registry's own config.yml) < environment
 * < overrides. Nothing here reads process.env or process.argv: the caller passes them in.
 * Any problem throws one ConfigError naming the key (or the variable) at fault.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, toError } from '../errors.js';
import { parseNotifications } from './notifications.js';
import { loadOwnSections } from './own-sections.js';
import type { OwnSettings } from './own-sections.js';
import { applyRegistryEnv, attributeToEnv } from './registry-env.js';
import { OWN_SECTIONS } from './schema.js';
import type { LoadedConfig, LoadOptions, NotificationSettings } from './types.js';
import { isMap, readMap } from './values.js';
import { parseGoYaml } from './yaml.js';
import type { RawMap } from './values.js';

/** Top-level sections of a registry's config.yml (v2 and v3): theirs, silently ignored. */
const REGISTRY_SECTIONS = new Set([
  'version',
  'log',
  'loglevel',
  'storage',
  'auth',
  'middleware',
  'http',
  'notifications',
  'redis',
  'reporting',
  'health',
  'proxy',
  'validation',
  'compatibility',
  'policy',
  'catalog',
]);

/** Parse the file: `.json` as JSON, anything else as YAML (read as the registry's yaml.v2 does). */
export function readConfigFile(file: string): RawMap {
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
  const ours = new Set<string>(OWN_SECTIONS);
  for (const key of Object.keys(doc)) {
    if (!ours.has(key) && !REGISTRY_SECTIONS.has(key)) {
      warnings.push(
        `${key}: unknown top-level section (neither regnotify's nor the registry's); ignored`,
      );
    }
  }
}

/** Maps merge key by key; anything else (lists included) is replaced. */
function mergeRaw(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isMap(base) || !isMap(over)) return over;
  const out: RawMap = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeRaw(base[k], v);
  return out;
}

function loadNotifications(
  doc: RawMap,
  overrides: RawMap,
  env: Record<string, string | undefined>,
  warnings: string[],
): NotificationSettings {
  const fromEnv = applyRegistryEnv(readMap(doc['notifications'], 'notifications'), env, warnings);
  const section = mergeRaw(fromEnv.section, overrides['notifications']);
  try {
    return parseNotifications(section, warnings, (path) => readFileSync(path, 'utf8'));
  } catch (err) {
    throw err instanceof ConfigError ? attributeToEnv(err, fromEnv.provenance) : err;
  }
}

function checkWorkerEndpoints(own: OwnSettings, notifications: NotificationSettings): void {
  const names = new Set(notifications.endpoints.map((e) => e.name));
  own.workers.endpoints.forEach((name, i) => {
    if (!names.has(name)) {
      throw new ConfigError(
        `workers.endpoints[${i}]`,
        `no endpoint named ${JSON.stringify(name)} in notifications.endpoints`,
      );
    }
  });
}

export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const warnings: string[] = [];
  const doc = options.file !== undefined ? readConfigFile(options.file) : {};
  warnUnknownSections(doc, warnings);
  const overrides = readMap(options.overrides, 'overrides');
  const own = loadOwnSections(doc, overrides, env, warnings);
  const notifications = loadNotifications(doc, overrides, env, warnings);
  checkWorkerEndpoints(own, notifications);
  return {
    config: { ...own, notifications },
    warnings,
    source: options.file !== undefined ? { file: options.file } : {},
  };
}
