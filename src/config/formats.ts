/**
 * Value formats of regnotify's own keys, in convict's shape: `validate` throws with a short
 * problem text, and `coerce` turns a REGNOTIFY_* variable's string into the value (convict
 * applies it to every string it is given). Ours are strict where convict's built-in ones are
 * lenient (`parseInt('12abc')` is 12, and every string but "false" is `true`): a typo must fail,
 * not turn into a plausible value. A format's type is that of the values it accepts: ./schema.ts
 * types each key by its format.
 */
import { RegnotifyError } from '../errors.js';
import { YAML11_BOOLS } from './raw.js';

/** A value a format refuses; convict catches it and reports it with the key. */
export class FormatError extends RegnotifyError {
  constructor(problem: string) {
    super('ERR_CONFIG_FORMAT', problem);
  }
}

export interface ValueFormat<T> {
  validate(value: unknown): asserts value is T;
  coerce?(value: string): unknown;
}

function fail(problem: string): never {
  throw new FormatError(problem);
}

/** An integer from `min` to `max`, read from a variable only when it is all digits. */
function integer(min: number, max: number, problem: string): ValueFormat<number> {
  return {
    validate(v): asserts v is number {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) fail(problem);
    },
    coerce: (s) => (/^\s*-?\d+\s*$/.test(s) ? Number(s) : s),
  };
}

/** A list of strings; `each` checks every item. In a variable: a comma list. */
function list(each: (item: string) => void = () => undefined): ValueFormat<string[]> {
  return {
    validate(v): asserts v is string[] {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
        fail('must be a list of strings');
      }
      v.forEach(each);
    },
    coerce: (s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
  };
}

/** A string that `ok` accepts (any, by default), else `problem(value)`. */
function text(ok = (_: string) => true, problem = (_: string) => ''): ValueFormat<string> {
  return {
    validate(v): asserts v is string {
      if (typeof v !== 'string') fail('must be a string');
      if (!ok(v)) fail(problem(v));
    },
  };
}

/** host:port, `:port` (all interfaces, Go style) or `[v6]:port`. */
function isHostPort(v: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/.exec(v);
  return m !== null && Number(m[2]) <= 65535;
}

function isRedisUrl(v: string): boolean {
  if (v === '') return true;
  try {
    return /^rediss?:$/.test(new URL(v).protocol);
  } catch {
    return false;
  }
}

const bool: ValueFormat<boolean> = {
  validate(v): asserts v is boolean {
    if (typeof v !== 'boolean') fail('must be a boolean (true or false)');
  },
  coerce: (s) => YAML11_BOOLS.get(s.trim()) ?? s,
};

const FORMAT_TABLE = {
  'rn-string': text(),
  'rn-bool': bool,
  'rn-nat': integer(0, Infinity, 'must be an integer >= 0'),
  'rn-positive': integer(1, Infinity, 'must be an integer >= 1'),
  'rn-percent': integer(0, 90, 'must be an integer from 0 to 90'),
  'rn-prefetch': integer(1, 1000, 'must be an integer from 1 to 1000'),
  'rn-port': integer(0, 65535, 'must be a port 0-65535'),
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
};

export type FormatName = keyof typeof FORMAT_TABLE;

/** The type of the values format `F` accepts. */
export type FormatType<F extends FormatName> =
  (typeof FORMAT_TABLE)[F] extends ValueFormat<infer T> ? T : never;

/** The formats by name, as convict.addFormats takes them (its table is process-wide: rn- names). */
export const FORMATS: Readonly<Record<FormatName, ValueFormat<unknown>>> = FORMAT_TABLE;

/** What is wrong with `value` for `format` (a name, or the list of allowed values), if anything. */
export function formatProblem(
  format: FormatName | readonly unknown[],
  value: unknown,
): string | undefined {
  if (typeof format !== 'string') {
    if (format.includes(value)) return undefined;
    return `must be one of ${format.map(String).join(', ')}, got ${JSON.stringify(value)}`;
  }
  const checker: ValueFormat<unknown> = FORMATS[format];
  try {
    checker.validate(value);
    return undefined;
  } catch (err) {
    if (err instanceof FormatError) return err.message;
    throw err;
  }
}
