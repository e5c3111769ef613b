/**
 * Readers for values of the registry's notifications section, typed the way Go's yaml.v2 types
 * them (docs/compatibility.md §7). Each takes the raw value and the key path to name in errors.
 * Raw values come from ./yaml.ts (strings for quoted scalars, GoScalar for the rest, resolved
 * here for the field read: see ./go-scalar.ts) or, from a JSON file or overrides, as plain JS
 * values. `null`/`undefined` (an absent, empty or null key) is the Go zero value.
 */
import { ConfigError, toError } from '../../errors.js';
import { isMap, setOwn } from '../raw.js';
import type { RawMap } from '../raw.js';
import { nanosToMs, parseGoDuration } from './duration.js';
import { GoScalar, resolveGoScalar, toInt64 } from './go-scalar.js';
import type { GoResolved } from './go-scalar.js';

/** A raw value as an error shows it: a GoScalar as written, a string in quotes. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v instanceof GoScalar) return v.text;
  return isMap(v) ? 'a map' : JSON.stringify(v);
}

/** Why `"5"` is not the integer 5: yaml.v2 never converts a quoted scalar. */
function quotedHint(v: unknown): string {
  return typeof v === 'string' ? ' (quoted, so a string)' : '';
}

/** A GoScalar resolved as yaml.v2 would; an explicit tag it refuses is an error whatever the field. */
function resolved(v: unknown, key: string): GoResolved | undefined {
  if (!(v instanceof GoScalar)) return undefined;
  const r = resolveGoScalar(v);
  if (r.kind === 'invalid') throw new ConfigError(key, r.problem);
  return r;
}

export function readMap(v: unknown, key: string): RawMap {
  if (v === null || v === undefined) return {};
  if (!isMap(v)) throw new ConfigError(key, `must be a map, got ${describe(v)}`);
  return v;
}

/**
 * yaml.v2 puts the source text of any non-null scalar into a string field: `on`, `0x1F`,
 * `1.10`, `12345678901234567890` arrive as written, never as true, 31, 1.1 or a rounded float.
 */
export function readString(v: unknown, key: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (resolved(v, key)) return String(v); // resolved only to refuse what yaml.v2 refuses
  if (typeof v === 'number' || typeof v === 'boolean') return String(v); // JSON, overrides
  throw new ConfigError(key, `must be a string, got ${describe(v)}`);
}

/** A Go bool: YAML 1.1's words (y, yes, on, true… n, no, off, false), unquoted. */
export function readBool(v: unknown, key: string): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  const r = resolved(v, key);
  if (r?.kind === 'bool') return r.value;
  const why = `${describe(v)}${quotedHint(v)}; use true/false, yes/no, on/off`;
  throw new ConfigError(key, `not a boolean: ${why}`);
}

/** A Go int: decimal, 0x/0o/0b/0-octal, `_` separators, or a float holding a whole number. */
export function readInt(v: unknown, key: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const r = resolved(v, key);
  const n = r && toInt64(r);
  if (n === undefined) throw new ConfigError(key, `not an integer: ${describe(v)}${quotedHint(v)}`);
  if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError(key, `not an integer: ${describe(v)} is beyond ±2^53-1`);
  }
  return Number(n);
}

/** A Go time.Duration: an integer is nanoseconds, a string goes through ParseDuration. */
export function readDurationNs(v: unknown, key: string): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const r = resolved(v, key);
  if (typeof v === 'string' || r?.kind === 'str') {
    try {
      return parseGoDuration(String(v));
    } catch (err) {
      throw new ConfigError(key, toError(err).message, { cause: err });
    }
  }
  const ns = r && toInt64(r);
  if (ns !== undefined) return Number(ns);
  if (typeof v === 'number' || r?.kind === 'int' || r?.kind === 'float') {
    const why = 'a number is integer nanoseconds (an int64)';
    throw new ConfigError(key, `invalid duration ${describe(v)}: ${why}`);
  }
  if (r) throw new ConfigError(key, `invalid duration ${describe(v)}: a YAML ${r.kind}`);
  throw new ConfigError(key, `invalid duration: ${describe(v)}`);
}

/** A Go duration in ms, rounded up: a positive one stays positive, so only <= 0 is "unset". */
export function readMs(v: unknown, key: string): number {
  return nanosToMs(readDurationNs(v, key));
}

/** A reader of a Go int from `min` to `max`, `def` when unset. */
export function range(def: number, min: number, max: number) {
  return (v: unknown, key: string): number => {
    const n = v === undefined || v === null ? def : readInt(v, key);
    if (n < min || n > max) throw new ConfigError(key, `must be from ${min} to ${max}, got ${n}`);
    return n;
  };
}

/** `a, b or c`. */
const listed = (values: readonly string[]): string =>
  values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

/** A reader of a string, one of `values` (`def` when unset or ''); else `must`, or the list. */
export function oneOf<const V extends readonly string[]>(values: V, def: V[number], must?: string) {
  return (v: unknown, key: string): V[number] => {
    const text = readString(v, key) || def;
    const found = values.find((x) => x === text);
    if (found !== undefined) return found;
    throw new ConfigError(key, must ?? `must be ${listed(values)}, got ${JSON.stringify(text)}`);
  };
}

/** A Go []string: each item as readString reads it, a null item as "" (its zero value). */
export function readStringList(v: unknown, key: string): string[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(key, `must be a list, got ${describe(v)}`);
  return v.map((item: unknown, i) => readString(item, `${key}[${i}]`));
}

/** http.Header: names verbatim, every value a list (a scalar is an error, as in yaml.v2). */
export function readHeaders(v: unknown, key: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(readMap(v, key))) {
    if (!Array.isArray(values) && values !== null) {
      // The value is not echoed: it is often a credential (Authorization: Bearer …).
      const got = isMap(values) ? 'a map' : 'a single value';
      const why = `header values must be a list: write ${name}: [<value>], got ${got}`;
      throw new ConfigError(`${key}.${name}`, why);
    }
    setOwn(out, name, readStringList(values, `${key}.${name}`));
  }
  return out;
}

/** Keys of `map` not in `allowed`, each as a full path. */
export function unknownKeys(map: RawMap, allowed: ReadonlySet<string>, path: string): string[] {
  return Object.keys(map)
    .filter((k) => !allowed.has(k))
    .map((k) => (path ? `${path}.${k}` : k));
}
