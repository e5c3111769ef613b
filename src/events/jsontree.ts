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
// A backslash, or a control character (which JSON forbids raw in strings).
// eslint-disable-next-line no-control-regex
const SlowString = /[\\\u0000-\u001f]/;
const NumberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
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

/** Parse one JSON value (surrounded by optional whitespace); throws JsonSyntaxError. */
export function parseJsonTree(text: string): JsonNode {
  const p = new Parser(text);
  const node = p.value(0);
  p.skipSpace();
  if (p.pos < text.length) p.fail();
  return node;
}

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

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

  value(depth: number): JsonNode {
    this.skipSpace();
    const ch = this.text[this.pos];
    if (ch === '{') return this.object(depth + 1);
    if (ch === '[') return this.array(depth + 1);
    if (ch === '"') return { kind: 'string', value: this.string() };
    for (const lit of ['true', 'false', 'null'] as const) {
      if (this.text.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return { kind: 'literal', text: lit };
      }
    }
    NumberPattern.lastIndex = this.pos;
    const m = NumberPattern.exec(this.text);
    if (m === null) this.fail();
    this.pos += m[0].length;
    return { kind: 'number', text: m[0] };
  }

  object(depth: number): JsonObject {
    if (depth > MaxDepth) this.fail('Exceeded max depth');
    this.pos++; // '{'
    const entries: Array<readonly [string, JsonNode]> = [];
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', entries };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail();
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      entries.push([key, this.value(depth)]);
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') return { kind: 'object', entries };
      if (next !== ',') this.backAndFail();
    }
  }

  array(depth: number): JsonArray {
    if (depth > MaxDepth) this.fail('Exceeded max depth');
    this.pos++; // '['
    const items: JsonNode[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items };
    }
    for (;;) {
      items.push(this.value(depth));
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') return { kind: 'array', items };
      if (next !== ',') this.backAndFail();
    }
  }

  private backAndFail(): never {
    this.pos--;
    this.fail();
  }

  /** Reads a string literal starting at the opening quote; returns its decoded value. */
  string(): string {
    const t = this.text;
    // Fast path: no escapes (the usual case) — one indexOf and one test.
    const close = t.indexOf('"', this.pos + 1);
    if (close > 0) {
      const chunk = t.slice(this.pos + 1, close);
      if (!SlowString.test(chunk)) {
        this.pos = close + 1;
        return chunk;
      }
    }
    let start = ++this.pos;
    let out = '';
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(start, this.pos++);
        return out;
      }
      if (Number.isNaN(c)) this.fail('Unterminated string in JSON');
      if (c < 0x20) this.fail('Bad control character in string literal');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      out += this.escape();
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
