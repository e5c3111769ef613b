/**
 * Readers of an endpoint's keys beyond the plain Go field types of ./values.ts (./keys.ts pairs
 * each key with its reader): Go's defaults, the name (part of Redis keys), the actions, a
 * CloudEvents source, signing secrets, bounded durations, the PEM files.
 */
import { ConfigError, toError } from '../../errors.js';
import { positiveOr } from '../../sinks/defaults.js';
import { secretProblem } from '../../sinks/signing.js';
import { formatGoDuration, nanosToMs } from './duration.js';
import { readDurationNs, readString, readStringList } from './values.js';

/** Reads a PEM file named in the config; injected so tests need no files. */
export type ReadTextFile = (path: string) => string;

/** Reads one key's raw value `v` into its setting; `key` is the path errors name. */
export type Reader<T> = (v: unknown, key: string, readText: ReadTextFile) => T;

export const ENDPOINT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const ACTIONS = new Set(['pull', 'push', 'mount', 'delete']);
/** The characters of RFC 3986; a CloudEvents `source` is a non-empty URI reference. */
const URI_REFERENCE = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const MS_NS = 1_000_000;
/** The longest `retryaftermax` and `ratelimit.per`. */
const MAX_DURATION_NS = 24 * 60 * 60 * 1000 * MS_NS;

/** `read`, with Go's default for an unset, zero or negative value (../../sinks/defaults.ts). */
export function goDefault(read: Reader<number>, def: number): Reader<number> {
  return (v, key, readText) => positiveOr(read(v, key, readText), def);
}

export function readName(v: unknown, key: string): string {
  const name = readString(v, key);
  if (ENDPOINT_NAME_PATTERN.test(name)) return name;
  const why = `must match ${ENDPOINT_NAME_PATTERN.source}, got ${JSON.stringify(name)}`;
  throw new ConfigError(key, name === '' ? 'required' : why);
}

export function readActions(v: unknown, key: string): string[] {
  const actions = readStringList(v, key);
  const i = actions.findIndex((a) => !ACTIONS.has(a));
  if (i < 0) return actions;
  const why = `unknown action ${JSON.stringify(actions[i])} (pull, push, mount, delete)`;
  throw new ConfigError(`${key}[${i}]`, why);
}

export function readSource(v: unknown, key: string): string {
  const text = readString(v, key);
  if (text === '' || URI_REFERENCE.test(text)) return text;
  throw new ConfigError(key, `must be a URI reference (RFC 3986), got ${JSON.stringify(text)}`);
}

/** `whsec_` secrets; an error names the item but never echoes it (it is a credential). */
export function readSecrets(v: unknown, key: string): string[] {
  if (v !== null && v !== undefined && !Array.isArray(v)) {
    throw new ConfigError(key, 'must be a list: write secrets: [whsec_…]');
  }
  const secrets = readStringList(v, key);
  secrets.forEach((secret, i) => {
    const problem = secretProblem(secret);
    if (problem !== undefined) throw new ConfigError(`${key}[${i}]`, problem);
  });
  return secrets;
}

export function readMaxAge(v: unknown, key: string): number {
  const ns = readDurationNs(v, key);
  if (ns < 0) throw new ConfigError(key, 'must not be negative');
  return nanosToMs(ns);
}

/**
 * A Go duration from 1ms to 24h, in ms; `defMs` when unset. `retryaftermax` (0 would turn
 * Retry-After off unsaid) and `ratelimit.per`.
 */
export function within1msTo24h(defMs: number): Reader<number> {
  return (v, key) => {
    if (v === undefined || v === null) return defMs;
    const ns = readDurationNs(v, key);
    if (ns < MS_NS || ns > MAX_DURATION_NS) {
      throw new ConfigError(key, `must be from 1ms to 24h, got ${formatGoDuration(ns)}`);
    }
    return nanosToMs(ns);
  };
}

/** The text of the PEM file the value names ('' = none). */
export function readPem(v: unknown, key: string, readText: ReadTextFile): string {
  const file = readString(v, key);
  if (file === '') return '';
  try {
    return readText(file);
  } catch (err) {
    const why = `cannot read ${JSON.stringify(file)}: ${toError(err).message}`;
    throw new ConfigError(key, why, { cause: err });
  }
}
