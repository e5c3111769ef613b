/**
 * Value formats of regnotify's own keys, in convict's shape: `validate` throws with a short
 * problem text, and `coerce` turns a REGNOTIFY_* variable's string into the value (convict
 * applies it to every string it is given). Ours are strict where convict's built-in ones are
 * lenient (`parseInt('12abc')` is 12, and every string but "false" is `true`): a typo must fail,
 * not turn into a plausible value.
 */
import { RegnotifyError } from '../errors.js';
import { YAML11_BOOLS } from './go-scalar.js';

/** A value a format refuses; convict catches it and reports it with the key. */
export class FormatError extends RegnotifyError {
  constructor(problem: string) {
    super('ERR_CONFIG_FORMAT', problem);
  }
}

export interface ValueFormat {
  validate(value: unknown): void;
  coerce?(value: string): unknown;
}

function fail(problem: string): never {
  throw new FormatError(problem);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** An integer format: `min` to `max`, read from a variable only when it is all digits. */
function integer(ok: (n: number) => boolean, problem: string): ValueFormat {
  return {
    validate: (v) => (isInt(v) && ok(v)) || fail(problem),
    coerce: (s) => (/^\s*-?\d+\s*$/.test(s) ? Number(s) : s),
  };
}

/** host:port, `:port` (all interfaces, Go style) or `[v6]:port`. */
function isHostPort(v: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
  return m !== null && Number(m[2]) <= 65535;
}

function validateString(v: unknown): asserts v is string {
  if (typeof v !== 'string') fail('must be a string');
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** A list of strings; `each` checks every item. In a variable: a comma list. */
function list(each?: (item: string) => void): ValueFormat {
  return {
    validate: (v) => {
      if (!isStringList(v)) fail('must be a list of strings');
      if (each) v.forEach(each);
    },
    coerce: (s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
  };
}

/** A string that `ok` accepts, else `problem(value)`. */
function text(ok: (s: string) => boolean, problem: (s: string) => string): ValueFormat {
  return {
    validate: (v) => {
      validateString(v);
      if (!ok(v)) fail(problem(v));
    },
  };
}

function isRedisUrl(v: string): boolean {
  if (v === '') return true;
  try {
    const u = new URL(v);
    return u.protocol === 'redis:' || u.protocol === 'rediss:';
  } catch {
    return false;
  }
}

const FORMAT_TABLE = {
  'rn-string': { validate: validateString },
  'rn-bool': {
    validate: (v) => typeof v === 'boolean' || fail('must be a boolean (true or false)'),
    coerce: (s) => YAML11_BOOLS.get(s.trim()) ?? s,
  },
  'rn-nat': integer((n) => n >= 0, 'must be an integer >= 0'),
  'rn-positive': integer((n) => n >= 1, 'must be an integer >= 1'),
  'rn-percent': integer((n) => n >= 0 && n <= 90, 'must be an integer from 0 to 90'),
  'rn-prefetch': integer((n) => n >= 1 && n <= 1000, 'must be an integer from 1 to 1000'),
  'rn-port': integer((n) => n >= 0 && n <= 65535, 'must be a port 0-65535'),
  'rn-list': list(),
  'rn-hostports': list((x) => isHostPort(x) || fail(`${JSON.stringify(x)} is not host:port`)),
  'rn-redis-url': text(isRedisUrl, () => 'must be a redis:// or rediss:// URL'),
  'rn-addr': text(isHostPort, (v) => `must be host:port or :port, got ${JSON.stringify(v)}`),
  'rn-optional-addr': text(
    (v) => v === '' || isHostPort(v),
    (v) => `must be '' or host:port, got ${JSON.stringify(v)}`,
  ),
  'rn-url-path': text(
    (v) => /^\/[^\s?#]*$/.test(v),
    (v) => `must be a path starting with "/", got ${JSON.stringify(v)}`,
  ),
} satisfies Record<string, ValueFormat>;

export type FormatName = keyof typeof FORMAT_TABLE;

/** The formats by name, as convict.addFormats takes them (its table is process-wide: rn- names). */
export const FORMATS: Readonly<Record<FormatName, ValueFormat>> = FORMAT_TABLE;

/** Whether `format` reads a variable's text into another type (a number, a boolean, a list). */
export function readsText(format: FormatName | readonly unknown[]): boolean {
  return typeof format === 'string' && FORMATS[format].coerce !== undefined;
}

/** What is wrong with `value` for `format` (a name, or the list of allowed values), if anything. */
export function formatProblem(
  format: FormatName | readonly unknown[],
  value: unknown,
): string | undefined {
  if (typeof format !== 'string') {
    const allowed = format.map(String).join(', ');
    return format.includes(value)
      ? undefined
      : `must be one of ${allowed}, got ${JSON.stringify(value)}`;
  }
  try {
    FORMATS[format].validate(value);
    return undefined;
  } catch (err) {
    if (err instanceof FormatError) return err.message;
    throw err;
  }
}
