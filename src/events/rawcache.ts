import type { Event, EventsMediaTypeName } from './types.js';

/**
 * What parsing remembers about the objects it creates, so that encoding them again gives back
 * the bytes that arrived. Parsed objects are deep-frozen, so nothing remembered here can go
 * stale; a clone (`structuredClone`) is a different object and falls back to the schema encoder.
 */

interface RawEvent {
  readonly raw: string;
  readonly mediaType: EventsMediaTypeName;
}

const rawEvents = new WeakMap<Event, RawEvent>();
const extraFields = new WeakMap<object, ReadonlyMap<string, string>>();

/** Remember the compact text `event` arrived as, in the layout `mediaType`. */
export function bindRawEvent(event: Event, raw: string, mediaType: EventsMediaTypeName): void {
  rawEvents.set(event, { raw, mediaType });
}

/** The compact text a parsed event arrived as, if it arrived in the layout `mediaType`. */
export function boundRawEvent(event: Event, mediaType: EventsMediaTypeName): string | undefined {
  const bound = rawEvents.get(event);
  return bound !== undefined && bound.mediaType === mediaType ? bound.raw : undefined;
}

/**
 * Remember the fields of `obj` that are not part of the schema, in the order they arrived, with
 * their compact text (so number text and integer-like keys survive a change of layout).
 */
export function bindExtraFields(obj: object, fields: ReadonlyMap<string, string>): void {
  if (fields.size > 0) extraFields.set(obj, fields);
}

export function boundExtraFields(obj: object): ReadonlyMap<string, string> | undefined {
  return extraFields.get(obj);
}
