import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, encodeEvent, envelopeBody, relayout } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../../src/events/types.js';

// Real requests POSTed by distribution 2.8.2 (Go 1.19): the bytes a consumer expects.
const dir = fileURLToPath(new URL('../../fixtures/registry-2.8.2/', import.meta.url));
interface Recorded {
  headers: Record<string, string>;
  body: string;
}
const requests: Array<[string, Recorded]> = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i): [string, Recorded] => [`${f}:${i + 1}`, JSON.parse(line) as Recorded]),
  );

describe('registry 2.8.2 fixtures', () => {
  it('has the captured requests', () => {
    expect(requests.length).toBe(27);
  });

  it.each(requests)('%s re-encodes byte for byte', (_name, req) => {
    const contentType = req.headers['content-type'] ?? '';
    const parsed = parseEnvelope(Buffer.from(req.body, 'utf8'), { mediaType: contentType });
    expect(parsed.mediaType).toBe(EventsMediaType);
    expect(encodeEnvelope(parsed.events, parsed.mediaType)).toBe(req.body);
    expect(envelopeBody(parsed.raw)).toBe(req.body);
    // The schema encoder, not the cached bytes: a clone has no association.
    const clones = parsed.events.map((e) => structuredClone(e));
    expect(encodeEnvelope(clones, parsed.mediaType)).toBe(req.body);
    // Detection from the body alone agrees with the header.
    expect(parseEnvelope(req.body).mediaType).toBe(EventsMediaType);
  });

  it.each(requests)('%s survives v1 → v2 → v1', (_name, req) => {
    const parsed = parseEnvelope(req.body, { mediaType: req.headers['content-type'] ?? '' });
    const raw = parsed.raw[0] ?? '';
    const v2 = relayout(raw, EventsMediaTypeV2);
    expect(v2).toMatch(/"target":\{"mediaType":"[^"]*","digest":"[^"]*","size":\d+/);
    expect(parseEnvelope(`{"events":[${v2}]}`).mediaType).toBe(EventsMediaTypeV2);
    expect(relayout(v2, EventsMediaType)).toBe(raw);
    expect(encodeEvent(structuredClone(parsed.events[0]!), EventsMediaTypeV2)).toBe(v2);
  });
});
