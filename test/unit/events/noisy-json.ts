/**
 * Writes a JSON value the way no Go registry would but any JSON sender may: random whitespace,
 * every escape JSON allows (`\/`, `\u0041`, surrogate pairs as two escapes, upper-case hex),
 * U+FFFD written as a lone-surrogate escape (Go decodes both to U+FFFD), numbers in other
 * notations of the same value, repeated keys (last wins, as in Go), members in another order,
 * and `null` for optional fields that are absent. The value the text decodes to — as Go sees
 * it — is the input value. Randomness comes from a seeded PRNG, so a run replays exactly.
 */

/** mulberry32: small, seedable, good enough to pick among a few choices. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NoiseOptions {
  /** Shuffle members (only safe when the layout is not detected from the member order). */
  shuffle: boolean;
}

/** Optional members of an event's records, by path: absent ones may be written as null. */
const Nullable = new Map<string, readonly string[]>(
  Object.entries({
    target: 'length repository fromRepository url tag references urls annotations platform'.split(
      ' ',
    ),
    request: ['addr', 'host'],
    actor: ['name'],
    source: ['addr', 'instanceID'],
  }),
);

export function writeNoisy(value: unknown, random: () => number, options: NoiseOptions): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const chance = (p: number) => random() < p;
  const space = () => (chance(0.7) ? '' : pick([' ', '\n', '\t', '\r\n', '\n   ']));

  const hex4 = (code: number) => {
    const h = code.toString(16).padStart(4, '0');
    return `\\u${chance(0.5) ? h : h.toUpperCase()}`;
  };
  const str = (s: string): string => {
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff) {
        // A pair: raw, or two escapes (decoded as one character by Go and JS alike).
        const pair = s.slice(i, i + 2);
        out += chance(0.7) ? pair : hex4(c) + hex4(s.charCodeAt(i + 1));
        i++;
      } else if (c === 0xfffd) {
        // Go decodes a lone-surrogate escape as U+FFFD. A high one must not be followed by a
        // low-surrogate escape, or the two would pair: only use it when no U+FFFD follows.
        const lowOnly = s.charCodeAt(i + 1) === 0xfffd;
        const lone = 0xdc00 + Math.floor(random() * 0x400) - (!lowOnly && chance(0.5) ? 0x400 : 0);
        out += pick(['\ufffd', '\\ufffd', hex4(lone)]);
      } else if (c === 0x22) out += pick(['\\"', hex4(c)]);
      else if (c === 0x5c) out += pick(['\\\\', hex4(c)]);
      else if (c === 0x2f) out += pick(['/', '\\/']);
      else if (c < 0x20) {
        const short: Record<number, string> = {
          8: '\\b',
          9: '\\t',
          10: '\\n',
          12: '\\f',
          13: '\\r',
        };
        out += short[c] !== undefined && chance(0.5) ? short[c] : hex4(c);
      } else out += chance(0.8) ? (s[i] ?? '') : hex4(c);
    }
    return `${out}"`;
  };
  const num = (n: number): string => {
    if (Number.isInteger(n) && Math.abs(n) < 1e21) {
      return pick([String(n), `${n}.0`, `${n}e0`, `${n}E+0`, n === 0 ? '0' : `${n}0e-1`]);
    }
    return pick([String(n), n.toExponential(), n.toExponential().toUpperCase()]);
  };
  const write = (v: unknown, path: string): string => {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return String(v);
    // Sizes are Go int64s, which take only plain integer text.
    if (typeof v === 'number') return /\.(size|length)$/.test(path) ? String(v) : num(v);
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v))
      return `[${v.map((x) => space() + write(x, `${path}[]`) + space()).join(',')}]`;
    const entries = Object.entries(v as object);
    if (options.shuffle && chance(0.3)) entries.sort(() => random() - 0.5);
    const members: string[] = [];
    for (const [k, x] of entries) {
      const member = () =>
        `${space()}${str(k)}${space()}:${space()}${write(x, `${path}.${k}`)}${space()}`;
      if (chance(0.05)) members.push(member()); // a repeated key with the same value
      members.push(member());
    }
    for (const k of Nullable.get(path.slice(1)) ?? []) {
      if (!(k in (v as object)) && chance(0.2)) members.push(`${str(k)}:null`);
    }
    return `{${members.join(',')}}`;
  };
  return space() + write(value, '') + space();
}
