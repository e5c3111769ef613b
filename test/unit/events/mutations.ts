/**
 * Mutations of envelope bodies, as data (so fast-check shrinks them and prints them readably):
 * byte flips, truncation, insertion of hostile tokens and bytes (invalid UTF-8, a BOM, escapes,
 * huge nesting), deletion, and structural changes made through JSON.parse — a field replaced by
 * a value of another type or an odd number, a member deleted or repeated, an event replaced by
 * a non-object, a huge string. Positions are taken modulo the body's length.
 */
import fc from 'fast-check';

const deep = 100_000;

/** Texts dropped in place of a JSON value. */
export const HostileValues = [
  'null', 'true', 'false', '0', '-0', '-1', '1.5', '1e400', '-1e400', '1.0e-7', '1E+2', '0.1e1',
  '18446744073709551616', '9007199254740993', '""', '"x"', '"\\ud800"', '"\\u0000"', '[]', '{}',
  '[1]', '{"a":1}', '[null]', '{"events":[]}', '"2006-01-02T15:04:05Z"',
  `${'['.repeat(deep)}${']'.repeat(deep)}`,
  `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
]; // prettier-ignore

/** Byte strings inserted anywhere. */
const Insertions: readonly (readonly number[])[] = [
  ...['{', '}', '[', ']', '"', ',', ':', '\\', '\\u', '\\ud800', '\\uDC00', 'null', '-', '0', 'e',
    '1e400', ' ', '\u0000', '\u2028', '😀', '"events":', '{"id":"x"}',
  ].map((s) => [...Buffer.from(s, 'utf8')]),
  [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80],
  [...Buffer.from('['.repeat(deep))],
]; // prettier-ignore

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'bom' }
  | { kind: 'replace-value'; path: number; value: number }
  | { kind: 'huge-string'; path: number; kib: number }
  | { kind: 'delete-member'; path: number }
  | { kind: 'repeat-member'; path: number; value: number }
  | { kind: 'event-not-object'; event: number; value: number };

export function mutation(): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    fc.record({ kind: fc.constant('flip'), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate'), at }),
    fc.record({ kind: fc.constant('insert'), at, bytes: fc.nat(Insertions.length - 1) }),
    fc.record({ kind: fc.constant('delete'), at, length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('bom') }),
    fc.record({ kind: fc.constant('replace-value'), path: at, value: fc.nat(HostileValues.length - 1) }), // prettier-ignore
    fc.record({ kind: fc.constant('huge-string'), path: at, kib: fc.integer({ min: 16, max: 1024 }) }), // prettier-ignore
    fc.record({ kind: fc.constant('delete-member'), path: at }),
    fc.record({ kind: fc.constant('repeat-member'), path: at, value: fc.nat(HostileValues.length - 1) }), // prettier-ignore
    fc.record({ kind: fc.constant('event-not-object'), event: at, value: fc.nat(HostileValues.length - 1) }), // prettier-ignore
  ) as fc.Arbitrary<Mutation>;
}

export function mutate(body: Buffer, m: Mutation): Buffer {
  const n = body.length;
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return body;
      const out = Buffer.from(body);
      out[m.at % n] = (out[m.at % n] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return body.subarray(0, n === 0 ? 0 : m.at % n);
    case 'insert': {
      const p = n === 0 ? 0 : m.at % (n + 1);
      const bytes = Buffer.from(Insertions[m.bytes] ?? []);
      return Buffer.concat([body.subarray(0, p), bytes, body.subarray(p)]);
    }
    case 'delete': {
      const p = n === 0 ? 0 : m.at % n;
      return Buffer.concat([body.subarray(0, p), body.subarray(p + m.length)]);
    }
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    default:
      return structural(body, m);
  }
}

const Hole = '\u0000hole\u0000';

/** Mutations on the parsed value: skipped (body unchanged) when the body is not JSON. */
function structural(body: Buffer, m: Mutation): Buffer {
  let root: unknown;
  try {
    root = JSON.parse(body.toString('utf8'));
  } catch {
    return body;
  }
  try {
    const text = rewrite(root, m);
    return text === undefined ? body : Buffer.from(text, 'utf8');
  } catch (err) {
    // JSON.stringify recurses: a value nested deeper than its stack allows stays as it was.
    if (err instanceof RangeError) return body;
    throw err;
  }
}

function rewrite(root: unknown, m: Mutation): string | undefined {
  let text: string;
  if (m.kind === 'event-not-object') {
    const events = (root as { events?: unknown } | null)?.events;
    if (!Array.isArray(events) || events.length === 0) return undefined;
    events[m.event % events.length] = Hole;
    text = fill(root, HostileValues[m.value] ?? 'null');
  } else {
    const slots = slotsOf(root);
    const slot = slots[(m as { path: number }).path % Math.max(slots.length, 1)];
    if (slot === undefined) return undefined;
    const [parent, key] = slot;
    if (m.kind === 'replace-value') {
      parent[key] = Hole;
      text = fill(root, HostileValues[m.value] ?? 'null');
    } else if (m.kind === 'huge-string') {
      parent[key] = Hole;
      text = fill(root, `"${'a'.repeat(m.kib * 1024)}"`);
    } else if (m.kind === 'delete-member') {
      if (Array.isArray(parent)) (parent as unknown[]).splice(Number(key), 1);
      else delete parent[key];
      text = JSON.stringify(root);
    } else if (m.kind === 'repeat-member' && !Array.isArray(parent as unknown)) {
      // The same key twice: the first with a hostile value, the original last (it wins).
      const entries = Object.entries(parent);
      for (const k of Object.keys(parent)) delete parent[k];
      for (const [k, v] of entries) {
        if (k === key) parent[Hole] = 0;
        parent[k] = v;
      }
      const hole = JSON.stringify(Hole);
      const repeated = `${JSON.stringify(key)}:${HostileValues[m.value] ?? 'null'}`;
      text = JSON.stringify(root).replace(`${hole}:0`, () => repeated);
    } else return undefined;
  }
  return text;
}

function fill(root: unknown, value: string): string {
  return JSON.stringify(root, null, 3).replace(JSON.stringify(Hole), () => value);
}

/** An object or an array, indexed by its keys (array indexes as strings). */
type Container = Record<string, unknown>;

/** Every (container, key) pair in the value, depth first. */
function slotsOf(root: unknown): [Container, string][] {
  const out: [Container, string][] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Container, k]);
      stack.push(x);
    }
  }
  return out;
}
