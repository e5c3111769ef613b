import type { Event, EventsMediaTypeName } from './types.js';

/**
 * What parsing remembers about the objects it creates, so that encoding them again gives back
 * the bytes that arrived. Parsed objects are deep-frozen, so nothing remembered here can go
 * stale; a clone (`structuredClone`, or a spread `{ ...event }`) does not carry it and falls
 * back to the schema encoder.
 *
 * Kept in non-enumerable symbol-keyed properties rather than a WeakMap: measured on the 2.8.2
 * fixtures, a WeakMap holding every parsed event tripled the cost of parseEnvelope (≈15 → 40+
 * µs per event) through garbage-collector work on the ephemeron table. Non-enumerable symbols
 * are invisible to JSON.stringify, Object.keys/entries, spread and structuredClone.
 */

interface RawEvent {
  readonly raw: string;
  readonly mediaType: EventsMediaTypeName;
}

const rawEventKey = Symbol('regnotify.rawEvent');
const extraFieldsKey = Symbol('regnotify.extraFields');

/** Remember the compact text `event` arrived as, in the layout `mediaType`. Before freezing. */
export function bindRawEvent(event: Event, raw: string, mediaType: EventsMediaTypeName): void {
  hide(event, rawEventKey, { raw, mediaType } satisfies RawEvent);
}

/** The compact text a parsed event arrived as, if it arrived in the layout `mediaType`. */
export function boundRawEvent(event: Event, mediaType: EventsMediaTypeName): string | undefined {
  const bound = ownHidden(event, rawEventKey) as RawEvent | undefined;
  return bound !== undefined && bound.mediaType === mediaType ? bound.raw : undefined;
}

/**
 * Remember the fields of `obj` that are not part of the schema, in the order they arrived, with
 * their compact text (so number text and integer-like keys survive a change of layout).
 */
export function bindExtraFields(obj: object, fields: ReadonlyMap<string, string>): void {
  if (fields.size > 0) hide(obj, extraFieldsKey, fields);
}

export function boundExtraFields(obj: object): ReadonlyMap<string, string> | undefined {
  return ownHidden(obj, extraFieldsKey) as ReadonlyMap<string, string> | undefined;
}

function hide(obj: object, key: symbol, value: unknown): void {
  Object.defineProperty(obj, key, {
    value,
    enumerable: false,
    writable: false,
    configurable: false,
  });
}

/** Own properties only: an object whose prototype is a parsed event must not inherit its bytes. */
function ownHidden(obj: object, key: symbol): unknown {
  return Object.getOwnPropertyDescriptor(obj, key)?.value;
}
