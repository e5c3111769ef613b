/**
 * A small JSON parser that keeps what `JSON.parse` throws away and Go's wire format needs:
 * object keys in their written order (integer-like keys included), duplicate keys, and the
 * exact text of every number. Strings are decoded (escapes resolved) so they can be re-escaped
 * the Go way by gojson.ts.
 */

export interface JsonObject {
  readonly kind: 'object';
  readonly entries: ReadonlyArray<readonly [string, JsonNode]>;
}
export interface JsonArray {
  readonly kind: 'array';
  readonly items: readonly JsonNode[];
}
export interface JsonString {
  readonly kind: 'string';
  readonly value: string;
}
/** `text` is the number exactly as written (validated against the JSON grammar). */
export interface JsonNumber {
  readonly kind: 'number';
  readonly text: string;
}
export interface JsonLiteral {
  readonly kind: 'literal';
  readonly text: 'true' | 'false' | 'null';
}
export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonLiteral;

/** Invalid JSON text. `position` is the UTF-16 offset where the parser gave up. */
export class JsonSyntaxError extends SyntaxError {
  readonly code = 'ERR_JSON_SYNTAX';
  readonly position: number;
  constructor(problem: string, position: number) {
    super(`${problem} at position ${position}`);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

/**
 * Nesting limit. Go's decoder stops at 10,000; the recursive walks here (parse, compact, freeze)
 * would overflow V8's default stack well before that, and no event comes close to 1,000.
 */
const MaxDepth = 1_000;
/** A run of string characters that need no attention: no quote, backslash or control. */
// eslint-disable-next-line no-control-regex
const PlainRun = /[^"\\\u0000-\u001f]*/y;
const NumberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const Literals = ['true', 'false', 'null'] as const;
const Escapes: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/**
 * What a validating pass returns instead of a node: one shared, empty node per kind, so
 * scanning a megabyte of JSON allocates (almost) nothing.
 */
const Skipped = {
  object: Object.freeze<JsonObject>({ kind: 'object', entries: [] }),
  array: Object.freeze<JsonArray>({ kind: 'array', items: [] }),
  string: Object.freeze<JsonString>({ kind: 'string', value: '' }),
  number: Object.freeze<JsonNumber>({ kind: 'number', text: '0' }),
  literal: Object.freeze<JsonLiteral>({ kind: 'literal', text: 'null' }),
};

function objectNode(entries: JsonObject['entries'] | undefined): JsonObject {
  return entries ? { kind: 'object', entries } : Skipped.object;
}

function arrayNode(items: JsonArray['items'] | undefined): JsonArray {
  return items ? { kind: 'array', items } : Skipped.array;
}

/** Parse one JSON value (surrounded by optional whitespace); throws JsonSyntaxError. */
export function parseJsonTree(text: string): JsonNode {
  const p = new Parser(text, true);
  const node = p.value(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail();
  return node;
}

/** The outcome of `scanJson`: the root's kind, and where the items of one member start. */
export interface JsonScan {
  root: JsonNode['kind'];
  /**
   * The last member named `key` of a root object (the one Go's decoder keeps), if any: its
   * kind and, when it is an array, the offset in the text where each item starts.
   */
  member?: { kind: JsonNode['kind']; starts: number[] };
}

/**
 * Validate a whole JSON text exactly as `parseJsonTree` would (same errors, same positions)
 * without building it, noting where the items of the root object's member `key` start. With
 * `parseJsonTreeAt`, a caller can then build one item at a time: a megabyte envelope never
 * exists as one tree (measured: the tree of 10,000 small events is 11× the body's size).
 */
export function scanJson(text: string, key: string): JsonScan {
  const p = new Parser(text, false, key);
  const root = p.value(0).kind;
  p.skipSpace();
  if (p.pos < text.length) p.fail();
  return p.watched === undefined ? { root } : { root, member: p.watched };
}

/**
 * Build the one value that starts at `start` of a text `scanJson` has validated (an item
 * offset it returned). Text after the value is not looked at.
 */
export function parseJsonTreeAt(text: string, start: number): JsonNode {
  const p = new Parser(text, true);
  p.pos = start;
  return p.value(0);
}

/**
 * One recursive-descent parser for both passes: `build` makes nodes; without it the same code
 * validates only (returning `Skipped` nodes), so both passes fail on the same input, at the
 * same position, with the same message.
 */
class Parser {
  pos = 0;
  /** The member `watch` of the root object, when scanning for it. */
  watched: JsonScan['member'];

  constructor(
    private readonly text: string,
    private readonly build: boolean,
    private readonly watch?: string,
  ) {}

  fail(problem?: string): never {
    if (problem !== undefined) throw new JsonSyntaxError(problem, this.pos);
    const ch = this.text[this.pos];
    if (ch === undefined) throw new JsonSyntaxError('Unexpected end of JSON input', this.pos);
    throw new JsonSyntaxError(`Unexpected token ${JSON.stringify(ch)}`, this.pos);
  }

  skipSpace(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  value(depth: number, starts?: number[]): JsonNode {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object(depth + 1);
    if (ch === '[') return this.array(depth + 1, starts);
    if (ch === '"') {
      const value = this.string(this.build);
      return this.build ? { kind: 'string', value } : Skipped.string;
    }
    for (const lit of Literals) {
      if (this.text.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return this.build ? { kind: 'literal', text: lit } : Skipped.literal;
      }
    }
    NumberPattern.lastIndex = this.pos;
    if (!NumberPattern.test(this.text)) this.fail();
    const start = this.pos;
    this.pos = NumberPattern.lastIndex;
    return this.build ? { kind: 'number', text: this.text.slice(start, this.pos) } : Skipped.number;
  }

  object(depth: number): JsonObject {
    if (depth > MaxDepth) this.fail('Exceeded max depth');
    this.pos++; // '{'
    const entries: Array<readonly [string, JsonNode]> | undefined = this.build ? [] : undefined;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return objectNode(entries);
    }
    // Only the root object's keys matter to a scan (is this the watched member?).
    const watching = this.watch !== undefined && depth === 1;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail();
      const key = this.string(this.build || watching);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      if (watching && key === this.watch) {
        const starts: number[] = [];
        this.watched = { kind: this.value(depth, starts).kind, starts };
      } else {
        const node = this.value(depth);
        entries?.push([key, node]);
      }
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') return objectNode(entries);
      if (next !== ',') this.backAndFail();
    }
  }

  /** `starts`, when given, collects the offset of each item (for `parseJsonTreeAt`). */
  array(depth: number, starts?: number[]): JsonArray {
    if (depth > MaxDepth) this.fail('Exceeded max depth');
    this.pos++; // '['
    const items: JsonNode[] | undefined = this.build ? [] : undefined;
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return arrayNode(items);
    }
    for (;;) {
      this.skipSpace();
      starts?.push(this.pos);
      const node = this.value(depth);
      items?.push(node);
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') return arrayNode(items);
      if (next !== ',') this.backAndFail();
    }
  }

  private backAndFail(): never {
    this.pos--;
    this.fail();
  }

  /**
   * Reads a string literal starting at the opening quote; returns its decoded value, or ''
   * when `decode` is off (validation only). Runs of plain characters are skipped by one sticky
   * regex match, so the usual string (no escapes) costs one match and, decoded, one slice.
   */
  string(decode: boolean): string {
    const t = this.text;
    let start = ++this.pos;
    let out = '';
    for (;;) {
      PlainRun.lastIndex = this.pos;
      PlainRun.test(t); // always matches, possibly empty
      this.pos = PlainRun.lastIndex;
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        const value = decode ? out + t.slice(start, this.pos) : '';
        this.pos++;
        return value;
      }
      if (Number.isNaN(c)) this.fail('Unterminated string in JSON');
      if (c < 0x20) this.fail('Bad control character in string literal');
      // A backslash.
      if (decode) out += t.slice(start, this.pos);
      const decoded = this.escape();
      if (decode) out += decoded;
      start = this.pos;
    }
  }

  private escape(): string {
    const e = this.text[this.pos + 1];
    if (e === 'u') {
      const hex = this.text.slice(this.pos + 2, this.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('Bad Unicode escape in JSON');
      this.pos += 6;
      const code = parseInt(hex, 16);
      if (code < 0xd800 || code > 0xdfff) return String.fromCharCode(code);
      // As Go's decoder (encoding/json unquote): a high surrogate escaped right before a low
      // one is one character; any other surrogate decodes as U+FFFD, which Go then encodes raw.
      // (Kept lone, it would be written as the escape \ufffd, and a re-parse would change it.)
      const low = /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.exec(this.text.slice(this.pos, this.pos + 6));
      if (code > 0xdbff || low === null) return '\ufffd';
      this.pos += 6;
      return String.fromCharCode(code, parseInt(low[0].slice(2), 16));
    }
    const decoded = e === undefined ? undefined : Escapes[e];
    if (decoded === undefined) this.fail('Bad escaped character in JSON');
    this.pos += 2;
    return decoded;
  }
}
