/**
 * The envelopes of the flood benchmark, each just under 1 MiB (the ingest's default body limit):
 * - `tiny`: 10,000 minimal events (~100 B each), the worst case for memory per body byte;
 * - `sample`: as many realistic manifest-push events (test/fixtures/sample-event.ts) as fit,
 *   indented as the registry sends them (~1.6 KB each, ~640 per envelope).
 * Built once; each request gets unique event ids by replacing a fixed-width marker.
 */
import { encodeEnvelope } from '../src/events/encode.js';
import { makeEvent } from '../test/fixtures/sample-event.js';

export type BodyKind = 'tiny' | 'sample';

const Limit = 1024 * 1024;
const Marker = '@@@@@@@@';

export interface FloodBody {
  body: Buffer;
  events: number;
}

/** `count` caps the events (the default fills ~1 MiB). Returns a maker: request i → body. */
export function floodBodies(kind: BodyKind, tag: string, count?: number): (i: number) => FloodBody {
  const template = kind === 'tiny' ? tinyTemplate(count ?? 10_000) : sampleTemplate(count);
  const events = (template.match(/"timestamp"/g) ?? []).length;
  if (Buffer.byteLength(template) > Limit) throw new Error(`${kind} envelope over 1 MiB`);
  return (i) => ({
    body: Buffer.from(template.replaceAll(Marker, uniqueTag(tag, i))),
    events,
  });
}

/** 8 characters: the tag's first letter and `i` in base 36. */
function uniqueTag(tag: string, i: number): string {
  return `${tag.slice(0, 1)}${i.toString(36).padStart(7, '0')}`;
}

function tinyTemplate(count: number): string {
  const event = (n: number) =>
    `{"id":"${Marker}-${n}","timestamp":"2024-01-01T00:00:00Z","action":"push","target":{"repository":"r"}}`;
  return `{"events":[${Array.from({ length: count }, (_, n) => event(n)).join(',')}]}`;
}

function sampleTemplate(count: number | undefined): string {
  const one = Buffer.byteLength(encodeEnvelope([makeEvent(0, Marker)]));
  const n = count ?? Math.floor((Limit - 64) / (one + 8));
  return encodeEnvelope(Array.from({ length: n }, (_, i) => makeEvent(i, Marker)));
}
