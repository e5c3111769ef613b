/**
 * An oracle for Go's compact JSON, independent of src/events/gojson.ts: the form
 * `json.Marshal` gives a decoded value (no whitespace; strings escaped exactly as Go 1.19
 * escapes them; valid UTF-16, since a decoded Go string is valid UTF-8).
 */

/** Why `text` is not what Go's `json.Marshal` writes for a decoded value, if it is not. */
export function goCompactProblem(text: string): string | undefined {
  const at = (i: number, what: string) => `${what} at ${i}: …${text.slice(i - 10, i + 10)}…`;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inString) {
      if (c === 0x22) inString = true;
      else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return at(i, 'whitespace');
      continue;
    }
    if (c === 0x22) inString = false;
    else if (c === 0x5c) {
      const e = text[i + 1] ?? '';
      if ('"\\nrt'.includes(e)) i++;
      else if (e === 'u') {
        const code = parseInt(text.slice(i + 2, i + 6), 16);
        const control = code < 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09;
        if (!control && ![0x3c, 0x3e, 0x26, 0x2028, 0x2029].includes(code))
          return at(i, `escape \\u${text.slice(i + 2, i + 6)} that Go writes raw`);
        i += 5;
      } else return at(i, `escape \\${e} that Go never writes`);
    } else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029)
      return at(i, `raw U+${c.toString(16)} that Go escapes`);
    else if (c >= 0xd800 && c <= 0xdbff && /[\udc00-\udfff]/.test(text[i + 1] ?? '')) i++;
    else if (c >= 0xd800 && c <= 0xdfff) return at(i, 'lone surrogate');
  }
  return inString ? 'unterminated string' : undefined;
}
