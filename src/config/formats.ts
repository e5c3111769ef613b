/**
 * Value formats of regnotify's own keys. Each has a `validate` (throws with a short problem
 * text) and, where an environment variable needs it, a strict `coerce` from string: convict's
 * built-in coercions are too lenient for us (`parseInt('12abc')` is 12, and every string but
 * "false" is `true`), and a typo must fail, not turn into a plausible value.
 */
import convict from 'convict';

export interface ValueFormat {
  validate(value: unknown): void;
  coerce?(value: string): unknown;
}

/** YAML 1.1 booleans, as gopkg.in/yaml.v2 reads them (the registry's parser). */
const TRUE = new Set(['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON']);
const FALSE = new Set(['false', 'False', 'FALSE', 'no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF']);

export function coerceBool(s: string): unknown {
  const t = s.trim();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return s;
}

function coerceInt(s: string): unknown {
  return /^\s*-?\d+\s*$/.test(s) ? Number(s) : s;
}

function fail(problem: string): never {
  throw new Error(problem);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** host:port, `:port` (all interfaces, Go style) or `[v6]:port`. */
export function isHostPort(v: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
  return m !== null && Number(m[2]) <= 65535;
}

function validateString(v: unknown): asserts v is string {
  if (typeof v !== 'string') fail('must be a string');
}

function validateList(v: unknown): void {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    fail('must be a list of strings');
  }
}

export const FORMATS: Readonly<Record<string, ValueFormat>> = {
  'rn-string': { validate: validateString },
  'rn-bool': {
    validate: (v) => typeof v === 'boolean' || fail('must be a boolean (true or false)'),
    coerce: coerceBool,
  },
  'rn-nat': {
    validate: (v) => (isInt(v) && v >= 0) || fail('must be an integer >= 0'),
    coerce: coerceInt,
  },
  'rn-positive': {
    validate: (v) => (isInt(v) && v >= 1) || fail('must be an integer >= 1'),
    coerce: coerceInt,
  },
  'rn-percent': {
    validate: (v) => (isInt(v) && v >= 0 && v <= 90) || fail('must be an integer from 0 to 90'),
    coerce: coerceInt,
  },
  'rn-prefetch': {
    validate: (v) => (isInt(v) && v >= 1 && v <= 1000) || fail('must be an integer from 1 to 1000'),
    coerce: coerceInt,
  },
  'rn-port': {
    validate: (v) => (isInt(v) && v >= 0 && v <= 65535) || fail('must be a port 0-65535'),
    coerce: coerceInt,
  },
  'rn-list': {
    validate: validateList,
    coerce: (s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
  },
  'rn-hostports': {
    validate: (v) => {
      validateList(v);
      const bad = (v as string[]).find((x) => !isHostPort(x));
      if (bad !== undefined) fail(`${JSON.stringify(bad)} is not host:port`);
    },
    coerce: (s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
  },
  'rn-redis-url': {
    validate: (v) => {
      validateString(v);
      if (v === '') return;
      let u: URL | undefined;
      try {
        u = new URL(v);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:')) {
        fail('must be a redis:// or rediss:// URL');
      }
    },
  },
  'rn-addr': {
    validate: (v) => {
      validateString(v);
      if (!isHostPort(v)) fail(`must be host:port or :port, got ${JSON.stringify(v)}`);
    },
  },
  'rn-optional-addr': {
    validate: (v) => {
      validateString(v);
      if (v !== '' && !isHostPort(v)) fail(`must be '' or host:port, got ${JSON.stringify(v)}`);
    },
  },
  'rn-url-path': {
    validate: (v) => {
      validateString(v);
      if (!/^\/[^\s?#]*$/.test(v))
        fail(`must be a path starting with "/", got ${JSON.stringify(v)}`);
    },
  },
};

let registered = false;

/** Teach convict our format names (its registry is global; doing it twice is harmless). */
export function registerFormats(): void {
  if (registered) return;
  registered = true;
  for (const [name, f] of Object.entries(FORMATS)) {
    const format: convict.Format = { name, validate: (v: unknown) => f.validate(v) };
    if (f.coerce) format.coerce = f.coerce;
    convict.addFormat(format);
  }
}
