import { describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../../src/errors.js';
import {
  encodeEnvelope,
  encodeEvent,
  envelopeBody,
  rawEvent,
  relayout,
} from '../../../src/events/encode.js';
import {
  isEventsMediaType,
  mediaTypeEssence,
  parseEnvelope,
  parseEvent,
} from '../../../src/events/parse.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../../src/events/types.js';

const v1Event = (
  target = '{"mediaType":"m","size":12,"digest":"sha256:a","repository":"r"}',
): string =>
  `{"id":"e1","timestamp":"2026-11-28T04:41:25.494799448Z","action":"push","target":${target},` +
  '"request":{"id":"q","method":"PUT","useragent":"ua"},"actor":{},"source":{}}';
const envelope = (...events: string[]): string => `{"events":[${events.join(',')}]}`;

function errorOf(body: string | Uint8Array): EnvelopeError {
  try {
    parseEnvelope(body);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return err as EnvelopeError;
  }
  throw new Error('parseEnvelope accepted the body');
}

describe('parseEnvelope validation', () => {
  it('refuses text that is not JSON, naming the position', () => {
    const err = errorOf('{"events": [ }');
    expect(err.field).toBe('body');
    expect(err.message).toBe('body: not JSON: Unexpected token "}" at position 13');
    expect(err.code).toBe('ERR_INVALID_ENVELOPE');
    expect(errorOf('{"events":').message).toBe(
      'body: not JSON: Unexpected end of JSON input at position 10',
    );
  });

  it('refuses a BOM as Go does', () => {
    expect(errorOf(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])).field).toBe('body');
  });

  it.each([
    ['[]', 'body', 'must be a JSON object'],
    ['{}', 'events', 'missing'],
    ['{"events":[]}', 'events', 'must be a non-empty array'],
    ['{"events":{}}', 'events', 'must be a non-empty array'],
    ['{"events":[null]}', 'events[0]', 'must be an object, got null'],
  ])('%s → %s: %s', (body, field, problem) => {
    const err = errorOf(body);
    expect(err.field).toBe(field);
    expect(err.problem).toBe(problem);
  });

  const withEvent = (mutate: (e: Record<string, unknown>) => void): string => {
    const e = JSON.parse(v1Event()) as Record<string, unknown>;
    mutate(e);
    return envelope(v1Event(), v1Event(), JSON.stringify(e));
  };

  it.each([
    [
      'missing id',
      (e: Record<string, unknown>) => delete e.id,
      'events[2].id',
      'must be a non-empty string',
    ],
    [
      'empty id',
      (e: Record<string, unknown>) => (e.id = ''),
      'events[2].id',
      'must be a non-empty string, got ""',
    ],
    [
      'numeric id',
      (e: Record<string, unknown>) => (e.id = 7),
      'events[2].id',
      'must be a string, got 7',
    ],
    [
      'missing timestamp',
      (e: Record<string, unknown>) => delete e.timestamp,
      'events[2].timestamp',
      'must be an RFC 3339 time',
    ],
    [
      'bad timestamp',
      (e: Record<string, unknown>) => (e.timestamp = '2026-13-01T00:00:00Z'),
      'events[2].timestamp',
      'must be an RFC 3339 time, got "2026-13-01T00:00:00Z"',
    ],
    [
      'missing action',
      (e: Record<string, unknown>) => delete e.action,
      'events[2].action',
      'must be a string',
    ],
    [
      'action not a string',
      (e: Record<string, unknown>) => (e.action = ['push']),
      'events[2].action',
      'must be a string, got ["push"]',
    ],
    [
      'missing target',
      (e: Record<string, unknown>) => delete e.target,
      'events[2].target',
      'must be an object',
    ],
    [
      'size as string',
      (e: Record<string, unknown>) => ((e.target as Record<string, unknown>).size = '12'),
      'events[2].target.size',
      'must be a non-negative integer, got "12"',
    ],
    [
      'negative length',
      (e: Record<string, unknown>) => ((e.target as Record<string, unknown>).length = -1),
      'events[2].target.length',
      'must be a non-negative integer, got -1',
    ],
    [
      'fractional size',
      (e: Record<string, unknown>) => ((e.target as Record<string, unknown>).size = 1.5),
      'events[2].target.size',
      'must be a non-negative integer, got 1.5',
    ],
    [
      'urls not strings',
      (e: Record<string, unknown>) => ((e.target as Record<string, unknown>).urls = [1]),
      'events[2].target.urls',
      'must be an array of strings, got [1]',
    ],
    [
      'annotation not a string',
      (e: Record<string, unknown>) =>
        ((e.target as Record<string, unknown>).annotations = { k: 1 }),
      'events[2].target.annotations.k',
      'must be a string, got 1',
    ],
    [
      'bad reference',
      (e: Record<string, unknown>) =>
        ((e.target as Record<string, unknown>).references = [{}, { digest: 5 }]),
      'events[2].target.references[1].digest',
      'must be a string, got 5',
    ],
    [
      'platform os',
      (e: Record<string, unknown>) =>
        ((e.target as Record<string, unknown>).platform = { os: false }),
      'events[2].target.platform.os',
      'must be a string, got false',
    ],
    [
      'bad base64 data',
      (e: Record<string, unknown>) => ((e.target as Record<string, unknown>).data = 'abc'),
      'events[2].target.data',
      'must be standard base64, got "abc"',
    ],
    [
      'request not an object',
      (e: Record<string, unknown>) => (e.request = 'x'),
      'events[2].request',
      'must be an object, got "x"',
    ],
    [
      'request method',
      (e: Record<string, unknown>) => (e.request = { method: 1 }),
      'events[2].request.method',
      'must be a string, got 1',
    ],
    [
      'actor name',
      (e: Record<string, unknown>) => (e.actor = { name: {} }),
      'events[2].actor.name',
      'must be a string, got {}',
    ],
    [
      'source addr',
      (e: Record<string, unknown>) => (e.source = { addr: true }),
      'events[2].source.addr',
      'must be a string, got true',
    ],
  ])('%s', (_name, mutate, field, problem) => {
    const err = errorOf(withEvent(mutate));
    expect(err.field).toBe(field);
    expect(err.problem).toBe(problem);
    expect(err.message).toBe(`${field}: ${problem}`);
  });
});

describe('parseEnvelope typed view', () => {
  it('fills absent fields as Go decodes them; null optional fields count as absent', () => {
    const { events } = parseEnvelope(
      envelope(
        '{"id":"x","timestamp":"2006-01-02T15:04:05-08:00","action":"delete","target":{"repository":"r","tag":null}}',
      ),
    );
    expect(events[0]).toEqual({
      id: 'x',
      timestamp: '2006-01-02T15:04:05-08:00',
      action: 'delete',
      target: { mediaType: '', digest: '', size: 0, repository: 'r' },
      request: { id: '', method: '', useragent: '' },
      actor: {},
      source: {},
    });
  });

  it('deep-freezes parsed events; a structuredClone is mutable and encodes through the schema', () => {
    const { events } = parseEnvelope(envelope(v1Event()));
    const e = events[0]!;
    expect(Object.isFrozen(e) && Object.isFrozen(e.target) && Object.isFrozen(e.request)).toBe(
      true,
    );
    expect(() => {
      (e.target as { size: number }).size = 1;
    }).toThrow(TypeError);
    const copy = structuredClone(e);
    copy.target.size = 99;
    expect(encodeEvent(copy)).toContain('"size":99');
    expect(encodeEvent(e)).toContain('"size":12');
  });

  it('a spread copy with a changed field does not reuse the cached bytes', () => {
    const e = parseEnvelope(envelope(v1Event())).events[0]!;
    expect(encodeEvent({ ...e, action: 'pull' })).toContain('"action":"pull"');
    expect(encodeEvent({ ...e, target: { ...e.target, tag: 'v1' } })).toContain('"tag":"v1"');
    expect(JSON.stringify(e)).toBe(JSON.stringify(structuredClone(e)));
  });

  it('decodes bytes as UTF-8 with U+FFFD for invalid sequences', () => {
    const bytes = Buffer.concat([
      Buffer.from(
        '{"events":[{"id":"a","timestamp":"2006-01-02T15:04:05Z","action":"pull","target":{},"actor":{"name":"x',
      ),
      Buffer.from([0xff, 0xc3, 0xa9]),
      Buffer.from('"}}]}'),
    ]);
    const parsed = parseEnvelope(bytes);
    expect(parsed.events[0]?.actor.name).toBe('x\ufffdé');
    expect(parsed.raw[0]).toContain('"actor":{"name":"x\ufffdé"}');
  });
});

describe('unknown fields and number text', () => {
  const body = envelope(
    '{"id":"e1","timestamp":"2026-11-28T04:41:25Z","newField":{"2":1.50,"1":[1e3]},"action":"push",' +
      '"target":{"mediaType":"m","size":12,"extra":"<x>","digest":"sha256:a","10":0,"repository":"r"},' +
      '"request":{"id":"q","method":"PUT","useragent":"ua","hop":2.0},"actor":{},"source":{}}',
  );

  it('are kept in the raw text and re-encoded byte for byte', () => {
    const parsed = parseEnvelope(body);
    expect(parsed.mediaType).toBe(EventsMediaType);
    expect(envelopeBody(parsed.raw)).toBe(encodeEnvelope(parsed.events));
    expect(parsed.raw[0]).toContain('"newField":{"2":1.50,"1":[1e3]},"action"');
    expect(parsed.raw[0]).toContain('"extra":"\\u003cx\\u003e"');
  });

  it('are visible on the typed view', () => {
    const e = parseEnvelope(body).events[0] as unknown as Record<string, Record<string, unknown>>;
    expect(e.newField).toEqual({ '1': [1000], '2': 1.5 });
    expect(e.target?.extra).toBe('<x>');
    expect(e.request?.hop).toBe(2);
  });

  it('follow the known fields, in arrival order and text, when the layout changes', () => {
    const v2 = relayout(parseEnvelope(body).raw[0]!, EventsMediaTypeV2);
    expect(v2).toBe(
      '{"id":"e1","timestamp":"2026-11-28T04:41:25Z","action":"push",' +
        '"target":{"mediaType":"m","digest":"sha256:a","size":12,"repository":"r","extra":"\\u003cx\\u003e","10":0},' +
        '"request":{"id":"q","method":"PUT","useragent":"ua","hop":2.0},"actor":{},"source":{},' +
        '"newField":{"2":1.50,"1":[1e3]}}',
    );
    expect(rawEvent(parseEvent(v2))).toBe(relayout(v2, EventsMediaType));
  });

  it('on hand-built events are emitted after the known ones, Go-escaped', () => {
    const e = {
      ...parseEnvelope(envelope(v1Event())).events[0]!,
      later: { a: '&', n: 1.5, z: null },
    };
    expect(encodeEvent(e)).toMatch(/"source":\{\},"later":\{"a":"\\u0026","n":1.5,"z":null\}\}$/);
  });

  it('keeps duplicate keys in the raw text (the typed view takes the last, as Go does)', () => {
    const parsed = parseEnvelope(envelope(v1Event('{"size":1,"size":2,"digest":"d"}')));
    expect(parsed.raw[0]).toContain('"target":{"size":1,"size":2,"digest":"d"}');
    expect(parsed.events[0]?.target.size).toBe(2);
  });

  it('tolerates deep unknown values up to the nesting limit', () => {
    const deep = '['.repeat(990) + ']'.repeat(990);
    const parsed = parseEnvelope(
      envelope(v1Event().replace('"actor":{}', `"actor":{"x":${deep}}`)),
    );
    expect(parsed.raw[0]).toContain(deep);
  });
});

describe('media types', () => {
  it('takes the layout from the Content-Type when it is an events type, else detects it', () => {
    const v2Body = envelope(v1Event('{"mediaType":"m","digest":"sha256:a","size":12}'));
    expect(parseEnvelope(v2Body).mediaType).toBe(EventsMediaTypeV2);
    expect(parseEnvelope(v2Body, { mediaType: 'application/json' }).mediaType).toBe(
      EventsMediaTypeV2,
    );
    expect(parseEnvelope(envelope(v1Event())).mediaType).toBe(EventsMediaType);
    // v1 delete: size omitted → v1; empty target → v1 by default.
    expect(parseEnvelope(envelope(v1Event('{"digest":"d"}'))).mediaType).toBe(EventsMediaType);
    expect(parseEnvelope(envelope(v1Event('{}'))).mediaType).toBe(EventsMediaType);
    const header = `${EventsMediaType.toUpperCase()}; charset=utf-8`;
    const parsed = parseEnvelope(v2Body, { mediaType: header });
    expect(parsed.mediaType).toBe(EventsMediaType);
    // Asked for in the layout it arrived in, the event gives back its bytes (even v2-ordered).
    expect(encodeEvent(parsed.events[0]!, EventsMediaType)).toBe(parsed.raw[0]);
  });

  it('mediaTypeEssence and isEventsMediaType', () => {
    expect(
      mediaTypeEssence(' Application/Vnd.Docker.Distribution.Events.V2+JSON ; charset=UTF-8'),
    ).toBe(EventsMediaTypeV2);
    expect(mediaTypeEssence('application/json')).toBe('application/json');
    expect(isEventsMediaType(EventsMediaType)).toBe(true);
    expect(isEventsMediaType(EventsMediaTypeV2)).toBe(true);
    expect(isEventsMediaType('application/json')).toBe(false);
  });
});
