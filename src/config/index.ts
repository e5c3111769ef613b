/** The configuration API, named explicitly (no barrels). */
export { loadConfig, readConfigFile } from './load.js';
export { parseGoDuration, formatGoDuration, nanosToMs, GoDurationError } from './duration.js';
export { configSchemaDoc, configSchemaRows } from './schema-doc.js';
export type { SchemaDocRow } from './schema-doc.js';
export { configSchema } from './schema.js';
export { secretValues, redactedConfig, REDACTED } from './secrets.js';
export { enabledEndpoints } from './types.js';
export type {
  EndpointMediaType,
  EndpointSettings,
  IngestSettings,
  LoadedConfig,
  LoadOptions,
  LogLevel,
  NotificationSettings,
  PatternFilter,
  RedisSettings,
  RegnotifyConfig,
  TlsSettings,
  WorkerSettings,
} from './types.js';
