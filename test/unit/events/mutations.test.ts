/**
 * Mutated envelope bodies through parseEnvelope (issue 7, "Must hold"): the parser either
 * accepts — and then its events re-encode to the raw texts it returned, which hold the value
 * JSON.parse sees — or throws EnvelopeError whose `field` names a place that exists in the body.
 * Never another exception (TypeError, RangeError: stack overflow…), never a hang. The seeds are
 * the registry 2.8.2 fixtures and random valid envelopes. FC_SEED=<n> replays a run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvelopeError } from '../../../src/errors.js';
import { encodeEnvelope, encodeEvent, envelopeBody } from '../../../src/events/encode.js';
import { parseEnvelope } from '../../../src/events/parse.js';
import type { ParsedEnvelope } from '../../../src/events/parse.js';
import { checkParams, envelope, layoutType } from '../../helpers/arbitraries.js';
import { goView } from '../../helpers/arbitrary-values.js';
import { fieldProblem } from './field-path.js';
import { mutate, mutation } from './mutations.js';
import { goCompactProblem } from './go-compact.js';

const dir = fileURLToPath(new URL('../../fixtures/registry-2.8.2/', import.meta.url));
const fixtures: string[] = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
  .map((line) => (JSON.parse(line) as { body: string }).body);

const seedBody = fc.oneof(
  fc.constantFrom(...fixtures),
  envelope({ maxEvents: 3 }).map(({ layout, events }) =>
    encodeEnvelope(events, layoutType[layout]),
  ),
);
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

let slowestMs = 0;
afterAll(() => {
  console.log(`mutations: slowest parseEnvelope ${slowestMs.toFixed(1)} ms`);
});

function check(body: Buffer): void {
  let parsed: ParsedEnvelope | undefined;
  let error: unknown;
  const started = performance.now();
  try {
    parsed = parseEnvelope(body);
  } catch (err) {
    error = err;
  }
  const elapsed = performance.now() - started;
  slowestMs = Math.max(slowestMs, elapsed);
  // Never a hang: generous on a loaded 2-core machine (bodies here are at most a few MB).
  expect(elapsed).toBeLessThan(10_000);
  const text = utf8.decode(body);
  if (parsed === undefined) {
    if (!(error instanceof EnvelopeError)) {
      const e = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new Error(`parseEnvelope threw something other than EnvelopeError: ${e}`);
    }
    expect(fieldProblem(error.field, text)).toBeUndefined();
    return;
  }
  const mt = parsed.mediaType;
  expect(encodeEnvelope(parsed.events, mt)).toBe(envelopeBody(parsed.raw));
  parsed.events.forEach((e, i) => expect(encodeEvent(e, mt)).toBe(parsed.raw[i]));
  // What was accepted is JSON, and raw holds its value as Go decodes it, in Go's compact form.
  const value = (JSON.parse(text) as { events: unknown[] }).events;
  parsed.raw.forEach((raw, i) => {
    expect(JSON.parse(raw)).toEqual(goView(value[i]));
    expect(goCompactProblem(raw)).toBeUndefined();
  });
  expect(parseEnvelope(envelopeBody(parsed.raw), { mediaType: mt }).raw).toEqual(parsed.raw);
}

describe('mutated envelopes', () => {
  it('parse, or fail with an EnvelopeError naming the place; nothing else', () => {
    fc.assert(
      fc.property(seedBody, fc.array(mutation(), { minLength: 1, maxLength: 3 }), (seed, ms) => {
        check(ms.reduce(mutate, Buffer.from(seed, 'utf8')));
      }),
      checkParams({ numRuns: 500, timeLimitMs: 5_000 }),
    );
  });
});
