/**
 * The envelope parser validates the whole text in a pass that builds nothing (scanJson), then
 * builds one event at a time (parseJsonTreeAt). These check, on random and mutated input, that
 * this changes nothing observable: the same errors at the same positions as building the whole
 * tree, and the same events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TooManyEventsError } from '../../../src/errors.js';
import { compactNode } from '../../../src/events/gojson.js';
import { parseJsonTree, parseJsonTreeAt, scanJson } from '../../../src/events/jsontree.js';
import { parseEnvelope } from '../../../src/events/parse.js';

const seed = 7_2026;

function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

const event = (id: string, extra = '') =>
  `{"id":${JSON.stringify(id)},"timestamp":"2024-01-01T00:00:00Z","action":"push","target":{"size":1,"digest":"d"${extra}}}`;

/** Envelopes, then byte-level mutations of them (insert, delete, replace one character). */
const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 4 }),
    fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom(...'{}[]",:\\ 0a-eE.+tfn\u0001'))),
  )
  .map(([events, edits]) => {
    let text = `{"events":[${events.map(([id, v]) => event(id, `,"x":${JSON.stringify(v)}`)).join(' , ')}]}`;
    for (const [at, kind, ch] of edits) {
      const i = at % (text.length + 1);
      if (kind === 0) text = text.slice(0, i) + ch + text.slice(i);
      else if (kind === 1) text = text.slice(0, i) + text.slice(i + 1);
      else text = text.slice(0, i) + ch + text.slice(i + 1);
    }
    return text;
  });

describe('scanJson', () => {
  it('fails exactly where and how parseJsonTree fails, on any text', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.json(), fc.string()), (text) => {
        const built = outcome(() => parseJsonTree(text));
        expect(outcome(() => scanJson(text, 'events'))).toBe(built);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('finds where each item of the last `events` member starts', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        let tree;
        try {
          tree = parseJsonTree(text);
        } catch {
          return;
        }
        const scan = scanJson(text, 'events');
        expect(scan.root).toBe(tree.kind);
        if (tree.kind !== 'object') return;
        const last = tree.entries.filter(([k]) => k === 'events').at(-1)?.[1];
        expect(scan.member?.kind).toBe(last?.kind);
        if (last?.kind !== 'array') return;
        expect(scan.member?.starts.map((s) => compactNode(parseJsonTreeAt(text, s)))).toEqual(
          last.items.map(compactNode),
        );
      }),
      { seed, numRuns: 3000 },
    );
  });
});

describe('parseEnvelope, one event at a time', () => {
  it('gives each event the compact text of its own subtree', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        let parsed;
        try {
          parsed = parseEnvelope(text);
        } catch {
          return;
        }
        const tree = parseJsonTree(text);
        const list =
          tree.kind === 'object' ? tree.entries.filter(([k]) => k === 'events').at(-1) : undefined;
        expect(list?.[1].kind).toBe('array');
        if (list?.[1].kind !== 'array') return;
        expect(parsed.raw).toEqual(list[1].items.map(compactNode));
      }),
      { seed, numRuns: 2000 },
    );
  });

  it('refuses more than maxEvents once the JSON is known valid, before decoding any event', () => {
    const body = `{"events":[${[event('a'), event('b'), '{"not":"an event"}'].join(',')}]}`;
    const err = (() => {
      try {
        parseEnvelope(body, { maxEvents: 2 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TooManyEventsError);
    expect((err as TooManyEventsError).message).toBe(
      'events: 3 in one envelope, more than the limit of 2',
    );
    // Invalid JSON is still reported as such, whatever the count.
    expect(outcome(() => parseEnvelope(`${body.slice(0, -1)}`, { maxEvents: 2 }))).toMatch(
      /not JSON/,
    );
    expect(
      parseEnvelope(body.replace(',{"not":"an event"}', ''), { maxEvents: 2 }).events,
    ).toHaveLength(2);
  });
});
