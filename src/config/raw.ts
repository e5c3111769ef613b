/**
 * Raw configuration values, as a file, the overrides or a variable give them, before either part
 * reads them: regnotify's own sections (./own-sections.ts) and the registry's `notifications:`
 * (./registry/). The little both parts need, so that neither imports the other.
 */
import { ConfigError } from '../errors.js';

export type RawMap = Record<string, unknown>;

/** A plain object: a YAML or JSON map (not a list, not a scalar such as a registry GoScalar). */
export function isMap(v: unknown): v is RawMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** `map[key] = value`, also for a key named `__proto__` (a header name is any string). */
export function setOwn(map: RawMap, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Maps merge key by key; anything else (lists included) is replaced. */
export function mergeMaps(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isMap(base) || !isMap(over)) return over;
  const out: RawMap = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeMaps(base[k], v);
  return out;
}

/** `key` (inside `path`) is none of `allowed`: a hint when only the case differs, else the list. */
export function unknownKeyError(key: string, allowed: Iterable<string>, path: string): ConfigError {
  const known = [...allowed];
  const near = known.find((a) => a.toLowerCase() === key.toLowerCase());
  const hint = near ? ` (did you mean "${near}"?)` : `; known keys: ${known.join(', ')}`;
  return new ConfigError(path ? `${path}.${key}` : key, `unknown key${hint}`);
}

/** `[word, value]` for each space-separated word of `list`. */
export const words = <T>(list: string, value: T): [string, T][] =>
  list.split(' ').map((w) => [w, value]);

/**
 * YAML 1.1's booleans, as yaml.v2's resolve.go lists them in resolveMap: the one table of them,
 * for the registry's scalars (./registry/go-scalar.ts), regnotify's own sections in a YAML file
 * (./registry/yaml.ts) and their REGNOTIFY_* variables (./formats.ts).
 */
export const YAML11_BOOLS: ReadonlyMap<string, boolean> = new Map([
  ...words('y Y yes Yes YES true True TRUE on On ON', true),
  ...words('n N no No NO false False FALSE off Off OFF', false),
]);
