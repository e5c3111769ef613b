/**
 * The typed result of loading a configuration: camelCase, defaults applied, durations in ms.
 * Where each value comes from and what it means is documented in ./schema.ts and
 * ./registry/keys.ts (the schema is the documentation).
 */
import type { EndpointSettings } from './registry/endpoint.js';
import type { NotificationSettings } from './registry/notifications.js';
import type { OwnConfig } from './schema.js';

export type { EndpointSettings, NotificationSettings };

/** The whole configuration: regnotify's sections (./schema.ts) and the registry's `notifications`. */
export interface RegnotifyConfig extends OwnConfig {
  notifications: NotificationSettings;
}

export interface LoadedConfig {
  config: RegnotifyConfig;
  /** Things that were accepted but deserve a look (unknown keys the registry also ignores…). */
  warnings: string[];
  source: { file?: string };
}

export interface LoadOptions {
  /** A YAML or JSON file; may be a registry's own config.yml. */
  file?: string;
  /** The environment (REGNOTIFY_* and REGISTRY_NOTIFICATIONS_*); nothing else is read. */
  env?: Record<string, string | undefined>;
  /** File-shaped values applied last, above the environment (tests, command-line flags). */
  overrides?: object;
}

/** The endpoints the service delivers to: those not `disabled`, in file order. */
export function enabledEndpoints(config: RegnotifyConfig): EndpointSettings[] {
  return config.notifications.endpoints.filter((e) => !e.disabled);
}
