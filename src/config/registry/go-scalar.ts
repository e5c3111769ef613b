/**
 * Scalars of the registry's `notifications:` section, resolved as gopkg.in/yaml.v2 (v2.4,
 * resolve.go `resolve` and decode.go `scalar`) resolves them: the Go field a value lands in
 * decides its type. A `string` field takes the source text of any non-null scalar, so `on`,
 * `0x1F`, `1.10` or `12345678901234567890` stay as written; a bool, int or time.Duration field
 * takes the value the YAML 1.1 rules below give that text. So the parser (./yaml.ts) keeps the
 * text, and the readers (./values.ts) resolve it for the field they read.
 */
import { words, YAML11_BOOLS } from '../raw.js';

/** A YAML tag yaml.v2 checks a scalar against (`!!int 5`); `!!str` never makes a GoScalar. */
export type GoTag = 'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'binary';

/** A non-string scalar as written (plain, or with an explicit tag): its type is decided later. */
export class GoScalar {
  constructor(
    readonly text: string,
    readonly tag?: GoTag,
  ) {}
  toString(): string {
    return this.text;
  }
}

/** What yaml.v2's resolve() makes of a scalar, or why it refuses it (whatever the field). */
export type GoResolved =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'timestamp' }
  | { kind: 'str' }
  | { kind: 'invalid'; problem: string };

/** resolve.go's resolveMap: the YAML 1.1 words (looked up before any number syntax). */
const WORDS = new Map<string, boolean | null | number>([
  ...YAML11_BOOLS,
  ...words('~ null Null NULL', null),
  ...words('.nan .NaN .NAN', Number.NaN),
  ...words('.inf .Inf .INF +.inf +.Inf +.INF', Number.POSITIVE_INFINITY),
  ...words('-.inf -.Inf -.INF', Number.NEGATIVE_INFINITY),
]);

/** Plain scalars that are null: the zero value of any field. */
export function isNullText(text: string): boolean {
  return text === '' || WORDS.get(text) === null;
}

const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/; // what Go's ParseFloat takes after a '.'
// Close to the four layouts resolve.go tries (it only changes how an error names the value).
const TIMESTAMP =
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})|\s+\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/;
/** strconv.ParseUint(s, 0, 64)'s syntax (Go >= 1.13): 0b, 0o, 0x prefixes; a leading 0 is octal. */
const GO_UINT = /^(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/;
const MAX_UINT64 = (1n << 64n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

/** Go's strconv.ParseUint(s, 0, 64). */
function parseUint(s: string): bigint | undefined {
  if (!GO_UINT.test(s)) return undefined;
  const n = BigInt(/^0[0-7]/.test(s) ? `0o${s.slice(1)}` : s); // BigInt reads 017 as decimal
  return n <= MAX_UINT64 ? n : undefined;
}

/** Go's strconv.ParseInt(s, 0, 64). */
function parseInt64(s: string): bigint | undefined {
  const u = parseUint(s[0] === '-' || s[0] === '+' ? s.slice(1) : s);
  const v = u !== undefined && s[0] === '-' ? -u : u;
  return v !== undefined && v >= MIN_INT64 && v <= MAX_INT64 ? v : undefined;
}

/** resolve.go `resolve` for a scalar written without a tag (or checked against `tag`). */
function resolveText(text: string, tag: GoTag | undefined): GoResolved {
  const word = WORDS.get(text);
  if (text === '' || word === null) return { kind: 'null' };
  if (typeof word === 'boolean') return { kind: 'bool', value: word };
  if (typeof word === 'number') return { kind: 'float', value: word };
  const first = text[0] ?? '';
  if (first === '.') {
    const f = DOT_FLOAT.test(text) ? Number(text) : Number.NaN;
    return Number.isFinite(f) ? { kind: 'float', value: f } : { kind: 'str' };
  }
  if (!/[-+0-9]/.test(first)) return { kind: 'str' };
  // An explicit !!int or !!float turns the timestamp layouts off, as in resolve.go.
  if ((tag === undefined || tag === 'timestamp') && TIMESTAMP.test(text)) {
    return { kind: 'timestamp' };
  }
  const plain = text.replaceAll('_', '');
  const int = parseInt64(plain) ?? parseUint(plain); // ParseUint: no sign, up to 2^64-1
  if (int !== undefined) return { kind: 'int', value: int };
  if (YAML_FLOAT.test(plain)) {
    const f = Number(plain); // out of float64 range: Go's ParseFloat fails, so a string
    if (Number.isFinite(f)) return { kind: 'float', value: f };
  }
  return { kind: 'str' };
}

/** The text and the resolved value of `s`, checked against its explicit tag if it has one. */
export function resolveGoScalar(s: GoScalar): GoResolved {
  if (s.tag === 'binary') {
    return { kind: 'invalid', problem: '!!binary values are not supported here' };
  }
  const r = resolveText(s.text, s.tag);
  // yaml.v2 lets an integer stand for a !!float; any other mismatch fails the whole file.
  if (s.tag === undefined || s.tag === r.kind || (s.tag === 'float' && r.kind === 'int')) return r;
  return { kind: 'invalid', problem: `cannot decode !!${r.kind} \`${s.text}\` as a !!${s.tag}` };
}

/**
 * A resolved number as a Go int64, as decode.go sets an int field: floats are accepted when
 * they hold a whole number (yaml.v2 would truncate 1.5 to 1; we refuse that instead, as it is
 * never what was meant). Undefined when the value does not fit.
 */
export function toInt64(r: GoResolved): bigint | undefined {
  if (r.kind !== 'int' && !(r.kind === 'float' && Number.isInteger(r.value))) return undefined;
  const v = BigInt(r.value);
  return v >= MIN_INT64 && v <= MAX_INT64 ? v : undefined;
}
