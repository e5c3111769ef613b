import { EventsMediaType, EventsMediaTypeV2 } from '../events/types.js';
import type { EventsMediaTypeName } from '../events/types.js';

/**
 * Each stored event remembers the layout it was encoded in, as its BullMQ job name: `v1`
 * (registry 2.x) or `v2` (registry 3.x). Delivery sends an event in its own layout unless the
 * endpoint configures another.
 */
export type LayoutName = 'v1' | 'v2';

export function layoutName(mediaType: EventsMediaTypeName): LayoutName {
  return mediaType === EventsMediaTypeV2 ? 'v2' : 'v1';
}

export function layoutMediaType(name: string): EventsMediaTypeName {
  return name === 'v2' ? EventsMediaTypeV2 : EventsMediaType;
}

/**
 * What to hand BullMQ as a job's data. BullMQ stores `JSON.stringify(data)`: a string would be
 * stored quoted, every `"` escaped (~10% more bytes, and a larger Redis allocation class). Most
 * events survive `JSON.parse` + `JSON.stringify` unchanged, so for those the parsed value is
 * handed over and Redis holds exactly the event's bytes; the others (Go's `\u003c`-style
 * escapes, integer-like keys, unusual number text) are stored as a string, byte-exact.
 */
export function jobData(raw: string): unknown {
  const value: unknown = JSON.parse(raw);
  return JSON.stringify(value) === raw ? value : raw;
}

/** The event's bytes from a job's stored `data` field (see jobData). */
export function rawFromStored(stored: string): string {
  return stored.startsWith('"') ? (JSON.parse(stored) as string) : stored;
}
