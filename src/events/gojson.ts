import { parseJsonTree } from './jsontree.js';
import type { JsonNode } from './jsontree.js';

/**
 * Go's `encoding/json` output, byte for byte: `json.Marshal`'s compact form (with Go's string
 * escaping) and `json.Indent`. `json.MarshalIndent(v, "", "   ")` is exactly Marshal followed
 * by Indent, so these two functions are all an envelope body needs (docs/compatibility.md §1.4).
 */

// Anything Go escapes, plus every surrogate (paired ones are then let through one by one).
// Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const NeedsEscape = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const Hex = '0123456789abcdef';

/** A JSON string literal as Go's encoder writes it (HTML-safe escaping on, as by default). */
export function goQuote(s: string): string {
  if (!NeedsEscape.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x0a) esc = '\\n';
    else if (c === 0x0d) esc = '\\r';
    else if (c === 0x09) esc = '\\t';
    // Go 1.19 (registry 2.8) writes \b and \f as \u0008 and \u000c like any other control.
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26)
      esc = `\\u00${Hex[c >> 4]}${Hex[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair: raw UTF-8 on the wire
        continue;
      }
      esc = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = '\\ufffd';
    if (esc === undefined) continue;
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/**
 * Compact Go-style text of a parsed JSON tree (keys, duplicates and number text as written).
 * Built as one list of parts joined once: `+=` would leave a rope of cons strings behind, which
 * V8 keeps until the string is flattened — measured at 6 MB of ropes for the 1 MB compact text
 * of 10,000 small events, held as long as the events are.
 */
export function compactNode(node: JsonNode): string {
  if (node.kind === 'string') return goQuote(node.value);
  if (node.kind === 'number' || node.kind === 'literal') return node.text;
  const parts: string[] = [];
  writeCompact(node, parts);
  return parts.join('');
}

function writeCompact(node: JsonNode, out: string[]): void {
  switch (node.kind) {
    case 'string':
      out.push(goQuote(node.value));
      return;
    case 'number':
    case 'literal':
      out.push(node.text);
      return;
    case 'array':
      out.push('[');
      for (let i = 0; i < node.items.length; i++) {
        if (i > 0) out.push(',');
        writeCompact(node.items[i] as JsonNode, out);
      }
      out.push(']');
      return;
    case 'object':
      out.push('{');
      for (let i = 0; i < node.entries.length; i++) {
        const [k, v] = node.entries[i] as readonly [string, JsonNode];
        out.push(i > 0 ? ',' : '', goQuote(k), ':');
        writeCompact(v, out);
      }
      out.push('}');
      return;
  }
}

/**
 * Re-emit any JSON text compact, keeping key order, duplicate keys and number text verbatim and
 * re-escaping strings the Go way. Throws JsonSyntaxError on invalid JSON.
 */
export function compactGo(jsonText: string): string {
  return compactNode(parseJsonTree(jsonText));
}

/**
 * Go's `json.Indent(dst, src, "", indent)`: one element per line, `": "` after keys, empty
 * objects and arrays kept as `{}` / `[]`, no trailing newline. Whitespace outside strings in
 * the input is dropped, so any valid JSON text works, not only compact text.
 */
export function indentGo(compact: string, indent = '   '): string {
  const lines: string[] = [];
  const line = (depth: number): string => (lines[depth] ??= `\n${indent.repeat(depth)}`);
  let out = '';
  let depth = 0;
  let run = 0; // start of the text not yet copied to `out`
  let i = 0;
  const n = compact.length;
  while (i < n) {
    const c = compact.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(compact, i); // copied later with the rest of the run
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      // '{' or '['. Go delays the newline until the next token, so `{}` and `[]` stay whole.
      let j = i + 1;
      while (j < n && isSpace(compact.charCodeAt(j))) j++;
      if (compact.charCodeAt(j) === c + 2) {
        out += compact.slice(run, i + 1) + compact[j];
        i = run = j + 1;
        continue;
      }
      out += compact.slice(run, i + 1) + line(++depth);
    } else if (c === 0x7d || c === 0x5d) {
      out += compact.slice(run, i) + line(--depth) + compact[i];
    } else if (c === 0x2c) {
      out += `${compact.slice(run, i)},${line(depth)}`;
    } else if (c === 0x3a) {
      out += `${compact.slice(run, i)}: `;
    } else if (isSpace(c)) {
      out += compact.slice(run, i);
    } else {
      i++; // part of a number or literal: keep it in the run
      continue;
    }
    i = run = i + 1;
  }
  return out + compact.slice(run);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index just past the string literal that opens at `start`. */
function stringEnd(s: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return s.length;
    let backslashes = 0;
    for (let k = q - 1; s[k] === '\\'; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}
