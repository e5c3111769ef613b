/**
 * Property-based tests of the wire format (issue 7, "Must hold"): random valid envelopes in both
 * layouts round-trip byte for byte through parseEnvelope and the encoder. Mutated bodies are in
 * mutations.test.ts, noisy-but-valid texts in texts.test.ts. Seeded: FC_SEED=<n> replays a run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, encodeEvent, envelopeBody, relayout } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';
import type { Event } from '../../../src/events/types.js';
import { checkParams, envelope, layoutType } from '../../helpers/arbitraries.js';
import { goView } from '../../helpers/arbitrary-values.js';
import type { GeneratedEnvelope } from '../../helpers/arbitraries.js';

/** True when some string (value or key) in `value` holds a lone surrogate. */
function hasLoneSurrogate(value: unknown): boolean {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  if (typeof value === 'string') return lone.test(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([k, v]) => lone.test(k) || hasLoneSurrogate(v));
}

function roundTrip({ layout, events }: GeneratedEnvelope): void {
  const mt = layoutType[layout];
  const body = encodeEnvelope(events, mt);
  // What Go would have in hand: lone surrogates (its invalid UTF-8) decode as U+FFFD.
  const go = goView(events);
  const expected = encodeEnvelope(go, mt);
  if (!hasLoneSurrogate(events)) expect(expected).toBe(body);

  const parsed = parseEnvelope(Buffer.from(body, 'utf8'), { mediaType: mt });
  expect(parsed.mediaType).toBe(mt);
  expect(parsed.raw).toEqual(go.map((e) => encodeEvent(e, mt)));
  expect(envelopeBody(parsed.raw)).toBe(expected);
  expect(encodeEnvelope(parsed.events, mt)).toBe(expected);
  // The typed view is what Go's decoder fills in, unknown fields included ...
  expect(parsed.events).toEqual(go);
  // ... and complete: the schema encoder (no cached bytes on a clone) writes the same text.
  expect(parsed.events.map((e) => encodeEvent(structuredClone(e), mt))).toEqual(parsed.raw);
  // The parser's output is a fixed point, and the layout is recognised without the header.
  const again = parseEnvelope(envelopeBody(parsed.raw));
  expect(again.raw).toEqual(parsed.raw);
  expect(again.mediaType).toBe(mt);
}

describe('valid envelopes round-trip (both layouts)', () => {
  it('encode → parseEnvelope → encode is byte-identical; raw = the compact encoding', () => {
    fc.assert(
      fc.property(envelope({ loneSurrogates: true }), roundTrip),
      checkParams({ numRuns: 300, timeLimitMs: 3_000 }),
    );
  });

  it('many events per envelope', () => {
    fc.assert(
      fc.property(envelope({ extras: false, minEvents: 100, maxEvents: 300 }), roundTrip),
      checkParams({ numRuns: 5, timeLimitMs: 2_000 }),
    );
  });

  it('v1 → v2 → v1 is the identity, and v2 → v1 → v2 where v1 can carry every field', () => {
    const hasV2Only = (e: Event) =>
      [e.target, ...(e.target.references ?? [])].some(
        (d) => d.data !== undefined || d.artifactType !== undefined,
      );
    fc.assert(
      fc.property(envelope({ loneSurrogates: true }), ({ layout, events }) => {
        const mt = layoutType[layout];
        const other = layoutType[layout === 'v1' ? 'v2' : 'v1'];
        const parsed = parseEnvelope(encodeEnvelope(events, mt), { mediaType: mt });
        parsed.raw.forEach((raw, i) => {
          const there = relayout(raw, other);
          const back = relayout(there, mt);
          // v1 has no `data` or `artifactType`: v2 → v1 drops them, as registry 2.x would.
          if (layout === 'v1' || !hasV2Only(parsed.events[i] as Event)) expect(back).toBe(raw);
          // Either way, converting again changes nothing more.
          expect(relayout(back, other)).toBe(there);
        });
      }),
      checkParams({ numRuns: 200, timeLimitMs: 2_000 }),
    );
  });
});
