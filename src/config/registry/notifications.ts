/**
 * The registry's `notifications:` section → NotificationSettings: the file's section with the
 * REGISTRY_NOTIFICATIONS_* variables (./env.ts) and the overrides laid over it, then read as the
 * registry reads it (./endpoint.ts for each endpoint). Unknown keys directly in the section (or
 * in `events`) are warnings, because the registry's yaml.v2 ignores them and a newer registry
 * may add some.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../errors.js';
import { mergeMaps } from '../raw.js';
import type { RawMap } from '../raw.js';
import { parseEndpoint } from './endpoint.js';
import type { EndpointSettings, ReadTextFile } from './endpoint.js';
import { applyRegistryEnv, attributeToEnv } from './env.js';
import { readBool, readMap, unknownKeys } from './values.js';

export interface NotificationSettings {
  includeReferences: boolean;
  /** In file order; disabled ones are kept with `disabled: true`. */
  endpoints: EndpointSettings[];
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

/** The section of file `doc`, the variables of `env` over it, the overrides' section over both. */
export function loadNotifications(
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
