import { describe, expect, it } from 'vitest';
import { compactGo, goQuote, indentGo } from '../../../src/events/gojson.js';

describe('goQuote', () => {
  it('escapes like Go: HTML-safe, U+2028/2029, quote (docs/compatibility.md §1.4 example)', () => {
    expect(goQuote('<a&b>\u2028"é')).toBe('"\\u003ca\\u0026b\\u003e\\u2028\\"é"');
    expect(goQuote('\u2029')).toBe('"\\u2029"');
  });

  it('uses short escapes only for \\n \\r \\t and \\u00XX (lowercase) for other controls', () => {
    expect(goQuote('a\nb\rc\td\\')).toBe('"a\\nb\\rc\\td\\\\"');
    expect(goQuote('\b\f')).toBe('"\\u0008\\u000c"');
    expect(goQuote('\u0001\u001f\u001b')).toBe('"\\u0001\\u001f\\u001b"');
  });

  it('leaves DEL, non-ASCII and valid surrogate pairs raw', () => {
    expect(goQuote('\u007f')).toBe('"\u007f"');
    expect(goQuote('日本 😀 ü')).toBe('"日本 😀 ü"');
  });

  it('replaces lone surrogates with \\ufffd', () => {
    expect(goQuote('a\ud800b')).toBe('"a\\ufffdb"');
    expect(goQuote('\udc00')).toBe('"\\ufffd"');
    expect(goQuote('x\ud83d')).toBe('"x\\ufffd"');
  });

  it('leaves plain strings untouched', () => {
    expect(goQuote('')).toBe('""');
    expect(goQuote('sha256:abc/def')).toBe('"sha256:abc/def"');
  });
});

describe('compactGo', () => {
  it('drops whitespace and keeps key order, integer-like keys and duplicates', () => {
    const text = '{ "b": 1, "2": [ ], "1": {}, "b" : 2 }';
    expect(compactGo(text)).toBe('{"b":1,"2":[],"1":{},"b":2}');
  });

  it('keeps number text verbatim and literals', () => {
    expect(compactGo('[1.0, -0, 1e3, 12345678901234567890, true, false, null]')).toBe(
      '[1.0,-0,1e3,12345678901234567890,true,false,null]',
    );
  });

  it('re-escapes strings the Go way', () => {
    // A lone surrogate escape decodes as U+FFFD (as in Go), which Go's encoder writes raw.
    expect(compactGo('"\\u003c\\/\\b\\ud83d\\ude00\\ud800<"')).toBe(
      '"\\u003c/\\u0008😀\ufffd\\u003c"',
    );
  });

  it.each([
    '',
    '{',
    '{"a" 1}',
    '[1,]',
    '{"a":1,}',
    '01',
    '"\u0001"',
    '"\\x"',
    'nul',
    '1 2',
    '"\\u12"',
  ])('throws on invalid JSON %j', (bad) => {
    expect(() => compactGo(bad)).toThrow(/at position \d+/);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(() => compactGo('['.repeat(20_000) + ']'.repeat(20_000))).toThrow(/max depth/);
  });
});

describe('indentGo', () => {
  it('indents like json.Indent with three spaces and keeps empties on one line', () => {
    const compact = '{"a":{},"b":[],"c":[{"d":[1,{}]}],"e":"x,:{[\\"]}"}';
    expect(indentGo(compact)).toBe(
      [
        '{',
        '   "a": {},',
        '   "b": [],',
        '   "c": [',
        '      {',
        '         "d": [',
        '            1,',
        '            {}',
        '         ]',
        '      }',
        '   ],',
        '   "e": "x,:{[\\"]}"',
        '}',
      ].join('\n'),
    );
  });

  it('renders top-level empties and scalars as is', () => {
    expect(indentGo('{}')).toBe('{}');
    expect(indentGo('[]')).toBe('[]');
    expect(indentGo('"a"')).toBe('"a"');
    expect(indentGo('-1.5e3')).toBe('-1.5e3');
  });

  it('matches JSON.stringify(…, 3) on plain ASCII data, and round-trips with compactGo', () => {
    const value = { x: [1, 2, { y: 'z', w: [] }], v: {}, n: null, t: true, s: 'a\\"b' };
    const compact = JSON.stringify(value);
    const indented = indentGo(compact);
    expect(indented).toBe(JSON.stringify(value, null, 3));
    expect(compactGo(indented)).toBe(compact);
    expect(indentGo(compactGo(indented))).toBe(indented);
  });

  it('accepts a custom indent and ignores insignificant whitespace in the input', () => {
    expect(indentGo('{ "a" : [ 1 , 2 ] , "b" : { } }', '\t')).toBe(
      '{\n\t"a": [\n\t\t1,\n\t\t2\n\t],\n\t"b": {}\n}',
    );
  });
});
