import { EnvelopeError, TooManyEventsError } from '../errors.js';
import { decodeEvent } from './decode.js';
import { JsonSyntaxError, parseJsonTree, parseJsonTreeAt, scanJson } from './jsontree.js';
import type { JsonNode, JsonScan } from './jsontree.js';
import { EventsMediaType, EventsMediaTypeV2 } from './types.js';
import type { Event, EventsMediaTypeName } from './types.js';

/**
 * Reading envelopes a registry POSTs (docs/compatibility.md §1.2–§1.3). Each event is kept twice: as a
 * typed, frozen `Event`, and as its compact Go-JSON text (`raw`), which is what the queue stores
 * and what re-encoding in the same layout gives back, byte for byte.
 */

export interface ParsedEnvelope {
  events: Event[];
  /** Each event's compact Go-JSON text, in order. */
  raw: string[];
  /** The layout the events arrived in. */
  mediaType: EventsMediaTypeName;
}

export interface ParseOptions {
  /** The request's Content-Type; decides the layout when it names an events media type. */
  mediaType?: string;
  /**
   * Refuse (TooManyEventsError) an envelope of more events than this, once its JSON is known
   * valid and before any event is decoded.
   */
  maxEvents?: number;
  /**
   * Told the number of events once the JSON is known valid, before any event is decoded; what
   * it throws, parseEnvelope throws. Lets a caller refuse a valid envelope for what it would
   * cost without paying for its decoding.
   */
  beforeDecode?: (count: number) => void;
}

// Go's decoder turns invalid UTF-8 into U+FFFD; TextDecoder does the same. A BOM is kept (and
// so refused as invalid JSON), as Go would.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Parse and validate an envelope body; throws EnvelopeError naming the field at fault.
 *
 * Memory: the whole text is validated first without building anything (`scanJson`), then each
 * event is built, decoded and dropped in turn, so the JSON tree of only one event exists at a
 * time. What stays is the text, the typed events and their compact texts (see
 * bench/flood.ts for the measured factor).
 */
export function parseEnvelope(
  body: string | Uint8Array,
  options: ParseOptions = {},
): ParsedEnvelope {
  const text = typeof body === 'string' ? body : utf8.decode(body);
  const scan = scanBody(text);
  if (scan.root !== 'object') throw new EnvelopeError('body', 'must be a JSON object');
  const list = scan.member; // the last `events` member, as in Go
  if (list === undefined) throw new EnvelopeError('events', 'missing');
  if (list.kind !== 'array' || list.starts.length === 0) {
    throw new EnvelopeError('events', 'must be a non-empty array');
  }
  const { starts } = list;
  if (options.maxEvents !== undefined && starts.length > options.maxEvents) {
    throw new TooManyEventsError(starts.length, options.maxEvents);
  }
  options.beforeDecode?.(starts.length);
  const item = (i: number): JsonNode => parseJsonTreeAt(text, starts[i] ?? 0);
  const fromHeader = mediaTypeEssence(options.mediaType ?? '');
  const mediaType = isEventsMediaType(fromHeader) ? fromHeader : detectLayout(starts.length, item);
  const events: Event[] = new Array<Event>(starts.length);
  const raw: string[] = new Array<string>(starts.length);
  for (let i = 0; i < starts.length; i++) {
    const decoded = decodeEvent(item(i), `events[${i}]`, mediaType);
    events[i] = decoded.event;
    raw[i] = decoded.raw;
  }
  return { events, raw, mediaType };
}

/**
 * Parse one compact event text (as stored in the queue). The layout is detected from the text
 * unless given; errors name the field under `event`.
 */
export function parseEvent(raw: string, mediaType?: EventsMediaTypeName): Event {
  const node = parseBody(raw, 'event');
  return decodeEvent(node, 'event', mediaType ?? detectLayout(1, () => node)).event;
}

export function isEventsMediaType(s: string): s is EventsMediaTypeName {
  return s === EventsMediaType || s === EventsMediaTypeV2;
}

/** `type/subtype` of a Content-Type, lower-cased, without parameters. */
export function mediaTypeEssence(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function parseBody(text: string, field: string): JsonNode {
  try {
    return parseJsonTree(text);
  } catch (err) {
    throw syntaxError(err, field);
  }
}

function scanBody(text: string): JsonScan {
  try {
    return scanJson(text, 'events');
  } catch (err) {
    throw syntaxError(err, 'body');
  }
}

function syntaxError(err: unknown, field: string): unknown {
  return err instanceof JsonSyntaxError
    ? new EnvelopeError(field, `not JSON: ${err.message}`)
    : err;
}

/**
 * Which registry wrote these events, judged from their descriptors: v1 (2.x) writes `size`
 * before `digest` and omits empty ones; v2 (3.x) writes `digest` before `size`, always both.
 */
function detectLayout(count: number, event: (i: number) => JsonNode): EventsMediaTypeName {
  for (let i = 0; i < count; i++) {
    const target = member(event(i), 'target');
    const refs = member(target, 'references');
    const descriptors = [target, ...(refs?.kind === 'array' ? refs.items : [])];
    for (const d of descriptors) {
      const verdict = descriptorLayout(d);
      if (verdict !== undefined) return verdict;
    }
  }
  return EventsMediaType;
}

function descriptorLayout(node: JsonNode | undefined): EventsMediaTypeName | undefined {
  if (node?.kind !== 'object') return undefined;
  const keys = node.entries.map(([k]) => k);
  const size = keys.indexOf('size');
  const digest = keys.indexOf('digest');
  if (size >= 0 && digest >= 0) return size < digest ? EventsMediaType : EventsMediaTypeV2;
  // Only the omitempty v1 layout can leave one of them out.
  return EventsMediaType;
}

function member(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (node?.kind !== 'object') return undefined;
  let found: JsonNode | undefined;
  for (const [k, v] of node.entries) if (k === key) found = v;
  return found;
}
