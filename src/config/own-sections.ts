/**
 * regnotify's own top-level sections (redis, ingest, workers, metrics, logging) through convict:
 * defaults < file < REGNOTIFY_* environment < overrides. Unknown keys are errors naming the key,
 * and every error names where the bad value came from (the key path, or the variable).
 */
import convict from 'convict';
import { ConfigError } from '../errors.js';
import { FORMATS, registerFormats } from './formats.js';
import { configSchema, isLeaf, OWN_SECTIONS, schemaLeaves } from './schema.js';
import type { SchemaLeaf, SchemaNode } from './schema.js';
import type { RegnotifyConfig } from './types.js';
import { isMap, rejectUnknownKeys } from './values.js';
import type { RawMap } from './values.js';

export type OwnSettings = Omit<RegnotifyConfig, 'notifications'>;

/** Keys of the registry's own top-level `redis:` (its blob descriptor cache), v2 and v3. */
const REGISTRY_REDIS_KEYS = new Set([
  'addr',
  'addrs',
  'db',
  'dialtimeout',
  'readtimeout',
  'writetimeout',
  'pool',
  'tls',
  'username',
  'clientname',
]);

function validateLeaf(leaf: SchemaLeaf, value: unknown): string | undefined {
  try {
    if (typeof leaf.format === 'string') FORMATS[leaf.format]?.validate(value);
    else if (!leaf.format.includes(value as string)) {
      return `must be one of ${leaf.format.join(', ')}, got ${JSON.stringify(value)}`;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Check a file-shaped section against the schema and flatten it to [path, value] pairs.
 * `null` (an empty key) means "not set", as in the registry's YAML.
 */
function flattenChecked(
  raw: RawMap,
  node: SchemaNode,
  path: string,
  out: [string, unknown][],
): void {
  rejectUnknownKeys(raw, new Set(Object.keys(node)), path);
  for (const [key, value] of Object.entries(raw)) {
    const child = node[key];
    const childPath = `${path}.${key}`;
    if (child === undefined || value === null || value === undefined) continue;
    if (isLeaf(child)) {
      const problem = validateLeaf(child, value);
      if (problem) throw new ConfigError(childPath, problem);
      out.push([childPath, value]);
    } else if (isMap(value)) {
      flattenChecked(value, child, childPath, out);
    } else {
      throw new ConfigError(childPath, `must be a map, got ${JSON.stringify(value)}`);
    }
  }
}

/** [path, value] pairs of regnotify's sections of a file-shaped object. */
function ownValues(doc: RawMap, origin: string, warnings: string[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const section of OWN_SECTIONS) {
    const raw = doc[section];
    if (raw === null || raw === undefined) continue;
    if (!isMap(raw)) throw new ConfigError(section, `must be a map (${origin})`);
    const registryKey =
      section === 'redis' ? Object.keys(raw).find((k) => REGISTRY_REDIS_KEYS.has(k)) : undefined;
    if (registryKey !== undefined) {
      // A registry config.yml's own `redis:` (its cache), not ours: leave it to the registry.
      warnings.push(
        `redis: looks like the registry's own redis section (has "${registryKey}"); ignored — set regnotify's Redis with REGNOTIFY_REDIS_URL or a separate file`,
      );
      continue;
    }
    const node = configSchema[section];
    if (node && !isLeaf(node)) flattenChecked(raw, node, section, out);
  }
  return out;
}

function crossChecks(c: OwnSettings): void {
  if (c.redis.cluster.nodes.length > 0 && c.redis.sentinel.sentinels.length > 0) {
    throw new ConfigError(
      'redis.cluster.nodes',
      'cannot be used together with redis.sentinel.sentinels',
    );
  }
  if (c.redis.sentinel.sentinels.length > 0 && c.redis.sentinel.name === '') {
    throw new ConfigError('redis.sentinel.name', 'required when redis.sentinel.sentinels is set');
  }
  if (c.ingest.auth.username !== '' && c.ingest.auth.password === '') {
    throw new ConfigError('ingest.auth.password', 'required when ingest.auth.username is set');
  }
  // The largest request must fit in the part of each budget not kept for small requests
  // (seven eighths, src/http/limits.ts), else under load it would only pass when alone.
  if (c.ingest.maxInFlightBytes < 2 * c.ingest.maxBodyBytes) {
    throw new ConfigError('ingest.maxInFlightBytes', 'must be at least twice ingest.maxBodyBytes');
  }
  if (c.ingest.maxInFlightEvents < 2 * c.ingest.maxEventsPerRequest) {
    throw new ConfigError(
      'ingest.maxInFlightEvents',
      'must be at least twice ingest.maxEventsPerRequest',
    );
  }
  if (c.ingest.headersTimeoutMs > c.ingest.requestTimeoutMs) {
    throw new ConfigError('ingest.headersTimeoutMs', 'must not exceed ingest.requestTimeoutMs');
  }
  if (c.workers.stalledIntervalMs > c.workers.lockDurationMs) {
    throw new ConfigError('workers.stalledIntervalMs', 'must not exceed workers.lockDurationMs');
  }
}

export function loadOwnSections(
  doc: RawMap,
  overrides: RawMap,
  env: Record<string, string | undefined>,
  warnings: string[],
): OwnSettings {
  registerFormats();
  const fromFile = ownValues(doc, 'file', warnings);
  const fromOverrides = ownValues(overrides, 'overrides', warnings);
  const defined = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  // convict reads process.env and process.argv unless told otherwise: give it ours, always.
  const cfg = convict<OwnSettings>(configSchema as convict.Schema<OwnSettings>, {
    env: defined,
    args: [],
  });
  const fileTree: RawMap = {};
  for (const [path, value] of fromFile) setPath(fileTree, path, value);
  cfg.load(fileTree); // convict re-applies the environment after the file
  for (const [path, value] of fromOverrides) cfg.set(path, value);
  const overridden = new Set(fromOverrides.map(([p]) => p));
  for (const [path, leaf] of schemaLeaves()) {
    const problem = validateLeaf(leaf, cfg.get(path as never));
    if (problem === undefined) continue;
    const fromEnv = !overridden.has(path) && defined[leaf.env] !== undefined;
    throw fromEnv
      ? new ConfigError(leaf.env, `${problem} (${path})`)
      : new ConfigError(path, problem);
  }
  const settings = cfg.getProperties();
  crossChecks(settings);
  return settings;
}

function setPath(tree: RawMap, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    const child: RawMap = isMap(next) ? next : {};
    node[part] = child;
    node = child;
  }
  node[parts[parts.length - 1] ?? ''] = value;
}
