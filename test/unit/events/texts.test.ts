/**
 * Valid envelopes written as any JSON sender might (noisy-json.ts): the parser must see through
 * the notation to the value Go would decode, and give back Go's compact text of it. The oracle
 * is independent of the code under test: JSON.parse for the value, goCompactProblem for the
 * form. Seeded: FC_SEED=<n> replays a run.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, envelopeBody } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';
import { checkParams, envelope, layoutType } from '../../helpers/arbitraries.js';
import { goView } from '../../helpers/arbitrary-values.js';
import { goCompactProblem } from './go-compact.js';
import { prng, writeNoisy } from './noisy-json.js';

describe('noisy but valid envelopes', () => {
  it('parse to the value Go decodes, and raw is Go’s compact text of it (a fixed point)', () => {
    fc.assert(
      fc.property(envelope(), fc.integer(), fc.boolean(), ({ layout, events }, seed, header) => {
        const mt = layoutType[layout];
        const canonical = parseEnvelope(encodeEnvelope(events, mt), { mediaType: mt });
        const random = prng(seed);
        // Member order is what tells the layouts apart: shuffle only when the header says it.
        const texts = canonical.raw.map((raw) =>
          writeNoisy(JSON.parse(raw), random, { shuffle: header }),
        );
        const repeated = random() < 0.2 ? '"events":[1],' : '';
        const body = ` {${repeated}"events" :\n[${texts.join(',')}] }\n`;

        const parsed = parseEnvelope(Buffer.from(body, 'utf8'), header ? { mediaType: mt } : {});
        expect(parsed.mediaType).toBe(mt);
        expect(parsed.events).toEqual(canonical.events);
        parsed.raw.forEach((raw, i) => {
          expect(JSON.parse(raw)).toEqual(goView(JSON.parse(texts[i] ?? '')));
          expect(goCompactProblem(raw)).toBeUndefined();
        });
        expect(encodeEnvelope(parsed.events, mt)).toBe(envelopeBody(parsed.raw));
        expect(parseEnvelope(envelopeBody(parsed.raw)).raw).toEqual(parsed.raw);
      }),
      checkParams({ numRuns: 200, timeLimitMs: 3_000 }),
    );
  });
});
