/**
 * The typed result of loading a configuration: camelCase, defaults applied, durations in ms.
 * Where each value comes from and what it means is documented in ./schema.ts and
 * ./registry/keys.ts (the schema is the documentation).
 */
import type { EventsMediaTypeName } from '../events/types.js';
import type { OwnConfig } from './schema.js';

/** '' = the media type the event was received with. */
export type EndpointMediaType = '' | EventsMediaTypeName;

export interface TlsSettings {
  /** PEM text read from the configured files at load time ('' when not configured). */
  ca: string;
  cert: string;
  key: string;
  insecureSkipVerify: boolean;
}

export interface PatternFilter {
  include: string[];
  exclude: string[];
}

export interface EndpointSettings {
  name: string;
  url: string;
  disabled: boolean;
  headers: Record<string, string[]>;
  /** Go defaults applied: <=0 → 1000 ms / 10 / 1000 ms. */
  timeoutMs: number;
  threshold: number;
  backoffMs: number;
  ignoredMediaTypes: string[];
  ignore: { mediaTypes: string[]; actions: string[] };
  /** '' = send the media type the event was received with. */
  mediaType: EndpointMediaType;
  maxBatch: number;
  ordering: 'strict' | 'parallel';
  concurrency: number;
  /** 0 = never give up. */
  maxRetries: number;
  /** 0 = never. */
  maxAgeMs: number;
  retryAfter: boolean;
  /** The cap on a Retry-After wait, 1 ms to 24 h (`retryaftermax`, default 5 min). */
  retryAfterMaxMs: number;
  tls: TlsSettings;
  repositories: PatternFilter;
  tags: PatternFilter;
  /** Standard Webhooks secrets (`whsec_…`, checked at load); [] = unsigned. */
  signing: { secrets: string[] };
  /** envelope = the registry's body; cloudevents = CloudEvents 1.0 structured mode. */
  format: 'envelope' | 'cloudevents';
  /** CloudEvents `source`; '' = from each event. */
  source: string;
}

export interface NotificationSettings {
  includeReferences: boolean;
  /** In file order; disabled ones are kept with `disabled: true`. */
  endpoints: EndpointSettings[];
}

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
