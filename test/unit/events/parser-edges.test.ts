/**
 * Parser cases found by the property suites (properties/texts/mutations.test.ts), kept as plain
 * examples so that a regression names itself.
 */
import { describe, expect, it } from 'vitest';
import { envelopeBody } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';

const withActor = (name: string, timestamp = '2006-01-02T15:04:05Z'): string =>
  `{"events":[{"id":"a","timestamp":"${timestamp}","action":"pull","target":{},` +
  `"actor":{"name":${name}}}]}`;

describe('lone surrogate escapes decode as Go decodes them (U+FFFD)', () => {
  it.each([
    ['a lone high surrogate', '"x\\ud800y"', 'x\ufffdy'],
    ['a lone low surrogate', '"\\udc00"', '\ufffd'],
    ['a high one before an escape that is not a low one', '"\\ud83d\\u0041"', '\ufffdA'],
    ['two high ones, the second paired', '"\\ud800\\ud83d\\ude00"', '\ufffd😀'],
    ['a low one before a high one', '"\\ude00\\ud83d"', '\ufffd\ufffd'],
  ])('%s', (_name, literal, decoded) => {
    const parsed = parseEnvelope(withActor(literal));
    expect(parsed.events[0]?.actor.name).toBe(decoded);
    // Go re-marshals the decoded U+FFFD as raw UTF-8, and so must the raw text ...
    expect(parsed.raw[0]).toContain(`"actor":{"name":"${decoded}"}`);
    // ... which is then a fixed point: parsing it again gives the same text.
    expect(parseEnvelope(envelopeBody(parsed.raw)).raw).toEqual(parsed.raw);
  });

  it('a pair written as two escapes is one character', () => {
    expect(parseEnvelope(withActor('"\\ud83d\\ude00"')).events[0]?.actor.name).toBe('😀');
  });
});

describe('timestamps in year 0000 (Go: a leap year, as in the proleptic Gregorian calendar)', () => {
  it('accepts 0000-02-29 and still refuses 0000-02-30 and 1900-02-29', () => {
    expect(parseEnvelope(withActor('"n"', '0000-02-29T00:00:00Z')).events).toHaveLength(1);
    expect(() => parseEnvelope(withActor('"n"', '0000-02-30T00:00:00Z'))).toThrow(/timestamp/);
    expect(() => parseEnvelope(withActor('"n"', '1900-02-29T00:00:00Z'))).toThrow(/timestamp/);
    expect(parseEnvelope(withActor('"n"', '0004-02-29T00:00:00Z')).events).toHaveLength(1);
  });
});
