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
 * The event's bytes from a job's stored `data` field. regnotify stores the bytes as they are
 * (scripts.ts addScript); earlier versions stored through BullMQ's `add`, which keeps
 * `JSON.stringify(data)`, and handed it the event as a string when it would not survive
 * `JSON.parse` + `JSON.stringify` unchanged: such a field holds a quoted JSON string
 * (test/integration/delivery-upgrade.test.ts).
 */
export function rawFromStored(stored: string): string {
  return stored.startsWith('"') ? (JSON.parse(stored) as string) : stored;
}
