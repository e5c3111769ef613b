/**
 * regnotify's own top-level sections (redis, ingest, workers, metrics, console, logging), read by convict
 * the way it is designed to be used: the schema gives each key its default, format and variable;
 * `load` lays the file and the overrides over the defaults, and the REGNOTIFY_* environment
 * between them (each string coerced by its key's format); `validate({ allowed: 'strict' })`
 * refuses unknown keys and bad values, once for the file alone and once for the whole. convict
 * reports all problems in one text: the first becomes one ConfigError naming the key, or the
 * variable the bad value came from.
 */
import convict from 'convict';
import { ConfigError, toError } from '../errors.js';
import { FORMATS, formatProblem } from './formats.js';
import { configSchema, isLeaf, schemaLeaves } from './schema.js';
import type { OwnConfig, SchemaLeaf, SchemaTree } from './schema.js';
import { isMap, mergeMaps, unknownKeyError } from './raw.js';
import type { RawMap } from './raw.js';

convict.addFormats(FORMATS);

function childOf(node: SchemaTree, key: string): SchemaLeaf | SchemaTree | undefined {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

const readsText = (f: SchemaLeaf['format']): boolean =>
  typeof f === 'string' && FORMATS[f].coerce !== undefined;

function valueAt(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (isMap(v) ? v[key] : undefined), tree);
}

/**
 * `raw` as convict can take it: nulls dropped (an empty key is "not set", as in the registry's
 * YAML); a map wherever the schema has a section (given a scalar there, convict would put it in
 * place of the section and call every key under it missing); no key convict cannot take as
 * written (`load` drops `__proto__` and `constructor` unsaid, `.` separates its paths); and no
 * string where a format reads strings: convict would read it as it reads a variable's text, but
 * YAML and JSON have types, and `"5000"` or `"no"` there is not the number or the boolean.
 */
function shaped(raw: RawMap, node: SchemaTree, path: string): RawMap {
  const out: RawMap = {};
  for (const [key, value] of Object.entries(raw)) {
    const child = childOf(node, key);
    const at = `${path}.${key}`;
    if (!child && /^(?:__proto__|constructor)$|\./.test(key)) {
      throw unknownKeyError(key, Object.keys(node), path);
    }
    if (value === null || value === undefined) continue;
    // A format that coerces reads a variable's text into another type (a number, a list…).
    if (child && isLeaf(child) && typeof value === 'string' && readsText(child.format)) {
      throw new ConfigError(at, formatProblem(child.format, value) ?? 'must not be a string');
    }
    if (!child || isLeaf(child)) out[key] = value;
    else if (isMap(value)) out[key] = shaped(value, child, at);
    else throw new ConfigError(at, `must be a map, got ${JSON.stringify(value)}`);
  }
  return out;
}

/** regnotify's sections of a file-shaped object (`origin` says which, in errors). */
function ownSections(doc: RawMap, origin: string): RawMap {
  const out: RawMap = {};
  for (const [section, node] of Object.entries(configSchema)) {
    const raw = doc[section];
    if (raw === null || raw === undefined) continue;
    if (!isMap(raw)) throw new ConfigError(section, `must be a map (${origin})`);
    out[section] = shaped(raw, node, section);
  }
  return out;
}

/**
 * The error for `path`, which convict reported (`reported`): its first key the schema does not
 * have, or the key whose value (in `values`) is bad, named by the variable (of `vars`) if one
 * set it.
 */
function problemAt(path: string, reported: string, vars: object, values: unknown): ConfigError {
  const keys = path.split('.');
  let node: SchemaTree = configSchema;
  for (const [i, key] of keys.entries()) {
    const child = childOf(node, key);
    if (!child) return unknownKeyError(key, Object.keys(node), keys.slice(0, i).join('.'));
    if (!isLeaf(child)) {
      node = child;
      continue;
    }
    const at = keys.slice(0, i + 1).join('.');
    const problem = formatProblem(child.format, valueAt(values, at)) ?? reported;
    if (!Object.hasOwn(vars, child.env)) return new ConfigError(at, problem);
    return new ConfigError(child.env, `${problem} (${at})`);
  }
  return new ConfigError(path, reported);
}

/**
 * The first problem of convict's report (node_modules/convict/src/main.js `validate`, convict
 * 6.2.5: a line each, `<path>: <problem>…` or `configuration param '<path>' not declared in the
 * schema`), an unknown key first: it is most often a typo, which may explain the rest.
 */
function firstProblem(report: string, vars: object, values: unknown): ConfigError {
  const line =
    /^configuration param '(.+)' not declared in the schema$/m.exec(report) ??
    /^([\w.]+): .*$/m.exec(report);
  if (line?.[1] === undefined) return new ConfigError('config', report);
  return problemAt(line[1], line[0], vars, values);
}

function crossChecks(c: OwnConfig): void {
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

/** `tree` over the defaults, `vars` over it, validated. */
function read(tree: unknown, vars: Record<string, string>): OwnConfig {
  // convict reads process.env and process.argv unless given others: give it ours, always.
  const cfg = convict<OwnConfig>(configSchema, { env: vars, args: [] });
  cfg.load(tree);
  try {
    cfg.validate({ allowed: 'strict' });
  } catch (err) {
    throw firstProblem(toError(err).message, vars, cfg.get());
  }
  return cfg.get();
}

export function loadOwnSections(
  doc: RawMap,
  overrides: RawMap,
  env: Record<string, string | undefined>,
): OwnConfig {
  const file = ownSections(doc, 'file');
  const forced = ownSections(overrides, 'overrides');
  // The file alone first: a bad value in it is an error even where a variable replaces it.
  if (Object.keys(file).length > 0) read(file, {});
  // Then the variables over it, but not those of keys the overrides set: overrides win.
  const vars: Record<string, string> = {};
  for (const [path, leaf] of schemaLeaves()) {
    const text = env[leaf.env];
    if (text !== undefined && valueAt(forced, path) === undefined) vars[leaf.env] = text;
  }
  const own = read(mergeMaps(file, forced), vars);
  crossChecks(own);
  return own;
}
