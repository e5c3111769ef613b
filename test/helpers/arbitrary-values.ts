/**
 * fast-check arbitraries for the values inside events: free text with everything Go's encoder
 * escapes (and lone surrogates, Go's invalid UTF-8), object keys, JSON values for fields the
 * schema does not know, RFC 3339 times — and `goView`, a value as Go's decoder would see it.
 */
import fc from 'fast-check';

/** Characters Go's encoder treats specially, and ones JSON parsers get wrong. */
const TrickyChars = [
  '<', '>', '&', '"', '\\', '/', '\u2028', '\u2029', '\u0000', '\b', '\f', '\n', '\r', '\t',
  '\u001f', '\u007f', '\u0080', 'é', '\ufffd', '\ufeff', '\uffff', '😀', '\u{10ffff}', '{', ':', '}',
]; // prettier-ignore

export interface TextOptions {
  minLength?: number;
  maxLength?: number;
  /** Include lone UTF-16 surrogates: what invalid UTF-8 is to Go (it encodes them as \ufffd). */
  loneSurrogates?: boolean;
}

/** Free text: ASCII, Go's special characters, any Unicode (astral too), optionally lone surrogates. */
export function goText(options: TextOptions = {}): fc.Arbitrary<string> {
  return fc.string({
    unit: options.loneSurrogates === true ? unitsWithLone : units,
    minLength: options.minLength ?? 0,
    maxLength: options.maxLength ?? 12,
  });
}

// Built once: the grapheme tables make these slow to construct (cheap to draw from).
const unitChoices: fc.WeightedArbitrary<string>[] = [
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 8 },
  { arbitrary: fc.constantFrom(...TrickyChars), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 },
];
const units = fc.oneof(...unitChoices);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const unitsWithLone = fc.oneof(...unitChoices, { arbitrary: loneSurrogate, weight: 1 });

/** A string with every lone surrogate replaced by U+FFFD: the string as Go decodes it. */
export function wellFormed(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] ?? '';
        out += s[++i] ?? '';
        continue;
      }
      out += '\ufffd';
    } else out += c >= 0xdc00 && c <= 0xdfff ? '\ufffd' : (s[i] ?? '');
  }
  return out;
}

/** Deep copy with every string (values and keys) made well-formed. Keys keep their order. */
export function goView<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => goView(v)) as T;
  if (typeof value === 'object' && value !== null) {
    const out = {};
    for (const [k, v] of Object.entries(value)) define(out, wellFormed(k), goView(v));
    return out as T;
  }
  return value;
}

/** An own enumerable property, even for `__proto__`. */
export function define(obj: object, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Go-style RFC 3339 times: years 0000–9999, valid days (leap years too), 0–9 fraction digits. */
export function timestamp(): fc.Arbitrary<string> {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const daysIn = (y: number, m: number) =>
    m === 2
      ? y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        ? 29
        : 28
      : [4, 6, 9, 11].includes(m)
        ? 30
        : 31;
  // Edges weigh in: years that Date.UTC misreads (0–99) or that break the leap rule, last days.
  const year = fc.oneof(
    fc.integer({ min: 0, max: 9999 }),
    fc.constantFrom(0, 4, 99, 100, 400, 1900, 2000, 9999),
  );
  const day = fc.oneof(fc.nat(), fc.constant(-1)); // -1: the month's last day
  const date = fc
    .tuple(year, fc.integer({ min: 1, max: 12 }), day)
    .map(
      ([y, m, d]) => `${pad(y, 4)}-${pad(m)}-${pad(d < 0 ? daysIn(y, m) : (d % daysIn(y, m)) + 1)}`,
    );
  const time = fc
    .tuple(
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
    )
    .map((t) => t.map((n) => pad(n)).join(':'));
  const fraction = fc.oneof(fc.constant(''), fc.stringMatching(/^\.[0-9]{1,9}$/));
  const zone = fc.oneof(
    fc.constant('Z'),
    fc
      .tuple(
        fc.constantFrom('+', '-'),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
      )
      .map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`),
  );
  return fc.tuple(date, time, fraction, zone).map(([d, t, f, z]) => `${d}T${t}${f}${z}`);
}

/** Object keys: names a newer registry might add, integer-like and prototype-ish keys, any text. */
export function fieldName(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('x-new', 'later', '__proto__', 'constructor', '0', '2', '10', '007', 'a.b', ''),
    goText({ maxLength: 8 }),
  );
}

/** Numbers as Go marshals float64s (finite; -0 is written as 0). */
function jsonNumber(): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer(),
    fc.constantFrom(0, 1.5, 0.1, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53, -(2 ** 63)),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
  );
}

/** Any JSON value, nested a few levels: the content of fields the schema does not know. */
export function jsonValue(loneSurrogates = false): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3 },
      fc.constant(null),
      fc.boolean(),
      jsonNumber(),
      goText({ loneSurrogates }),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.array(fc.tuple(fieldName(), tie('value')), { maxLength: 3 }).map(objectOf),
    ),
  }));
  return value;
}

/** A plain object of these entries, in order (a repeated key keeps its first place). */
export function objectOf(entries: readonly (readonly [string, unknown])[]): object {
  const out = {};
  for (const [k, v] of entries) define(out, k, v);
  return out;
}
