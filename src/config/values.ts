/**
 * Readers for values of the registry's notifications section, typed the way Go's yaml.v2 types
 * them (reference §7). Each takes the raw parsed YAML value and the key path to name in errors;
 * `null`/`undefined` (an absent or empty key) is the Go zero value.
 */
import { ConfigError } from '../errors.js';
import { parseGoDuration } from './duration.js';

export type RawMap = Record<string, unknown>;

export function isMap(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isMap(v)) return 'a map';
  return JSON.stringify(v);
}

export function readMap(v: unknown, key: string): RawMap {
  if (v === null || v === undefined) return {};
  if (!isMap(v)) throw new ConfigError(key, `must be a map, got ${describe(v)}`);
  return v;
}

/** yaml.v2 puts any scalar's text into a string field; numbers and booleans are stringified. */
export function readString(v: unknown, key: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ConfigError(key, `must be a string, got ${describe(v)}`);
}

export function readBool(v: unknown, key: string): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  throw new ConfigError(key, `not a boolean: ${describe(v)}`);
}

export function readInt(v: unknown, key: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw new ConfigError(key, `not an integer: ${describe(v)}`);
}

/** A Go time.Duration: an integer is nanoseconds, a string goes through ParseDuration. */
export function readDurationNs(v: unknown, key: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    throw new ConfigError(key, `invalid duration ${String(v)}: a number is integer nanoseconds`);
  }
  if (typeof v === 'string') {
    try {
      return parseGoDuration(v);
    } catch (err) {
      throw new ConfigError(key, (err as Error).message);
    }
  }
  throw new ConfigError(key, `invalid duration: ${describe(v)}`);
}

export function readStringList(v: unknown, key: string): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(key, `must be a list, got ${describe(v)}`);
  return v.map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw new ConfigError(`${key}[${i}]`, `must be a string, got ${describe(item)}`);
  });
}

/** http.Header: names verbatim, every value a list (a scalar is an error, as in yaml.v2). */
export function readHeaders(v: unknown, key: string): Record<string, string[]> {
  const map = readMap(v, key);
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(map)) {
    if (!Array.isArray(values) && values !== null) {
      throw new ConfigError(
        `${key}.${name}`,
        `header values must be a list, e.g. [${describe(values)}]`,
      );
    }
    out[name] = readStringList(values, `${key}.${name}`);
  }
  return out;
}

/** Keys of `map` not in `allowed`, each as a full path. */
export function unknownKeys(map: RawMap, allowed: ReadonlySet<string>, path: string): string[] {
  return Object.keys(map)
    .filter((k) => !allowed.has(k))
    .map((k) => (path ? `${path}.${k}` : k));
}

/** Like unknownKeys, but throws for the first one, with a hint when only the case differs. */
export function rejectUnknownKeys(map: RawMap, allowed: ReadonlySet<string>, path: string): void {
  const bad = Object.keys(map).find((k) => !allowed.has(k));
  if (bad === undefined) return;
  const near = [...allowed].find((a) => a.toLowerCase() === bad.toLowerCase());
  const hint = near ? ` (did you mean "${near}"?)` : `; known keys: ${[...allowed].join(', ')}`;
  throw new ConfigError(path ? `${path}.${bad}` : bad, `unknown key${hint}`);
}
