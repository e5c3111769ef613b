/**
 * The registry's `notifications:` section → NotificationSettings. Unknown keys directly in the
 * section (or in `events`) are warnings, because the registry's yaml.v2 ignores them and a
 * newer registry may add some; unknown keys inside an endpoint are errors (see ./endpoint.ts).
 */
import { ConfigError } from '../errors.js';
import { parseEndpoint } from './endpoint.js';
import type { ReadTextFile } from './endpoint.js';
import { SECTION_TOP_KEYS } from './endpoint-schema.js';
import type { NotificationSettings } from './types.js';
import { readBool, readMap, unknownKeys } from './values.js';

export function parseNotifications(
  raw: unknown,
  warnings: string[],
  readText: ReadTextFile,
): NotificationSettings {
  const section = readMap(raw, 'notifications');
  for (const key of unknownKeys(section, SECTION_TOP_KEYS, 'notifications')) {
    warnings.push(`${key}: unknown key, ignored (as the registry does)`);
  }
  const events = readMap(section['events'], 'notifications.events');
  for (const key of unknownKeys(events, new Set(['includereferences']), 'notifications.events')) {
    warnings.push(`${key}: unknown key, ignored (as the registry does)`);
  }
  const list = section['endpoints'] ?? [];
  if (!Array.isArray(list)) throw new ConfigError('notifications.endpoints', 'must be a list');
  const endpoints = list.map((raw: unknown, i) =>
    parseEndpoint(raw, `notifications.endpoints[${i}]`, readText),
  );
  const seen = new Set<string>();
  endpoints.forEach((e, i) => {
    if (seen.has(e.name)) {
      throw new ConfigError(
        `notifications.endpoints[${i}].name`,
        `duplicate endpoint name ${JSON.stringify(e.name)}`,
      );
    }
    seen.add(e.name);
  });
  return {
    includeReferences: readBool(
      events['includereferences'],
      'notifications.events.includereferences',
    ),
    endpoints,
  };
}
