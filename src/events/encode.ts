import { goQuote, indentGo } from './gojson.js';
import { parseEvent } from './parse.js';
import { boundExtraFields, boundRawEvent } from './rawcache.js';
import { EventsMediaType, EventsMediaTypeV2 } from './types.js';
import type {
  Descriptor,
  Envelope,
  Event,
  EventsMediaTypeName,
  Platform,
  Target,
} from './types.js';

/**
 * Events as the Go registry marshals them (docs/compatibility.md §1.3, §1.4), in its two layouts:
 * - v1 (registry 2.x): descriptor keys `mediaType`, `size`, `digest`, `urls`, `annotations`,
 *   `platform`, all omitted when empty; no `data` or `artifactType`;
 * - v2 (registry 3.x): OCI descriptor `mediaType`, `digest`, `size` always present, then
 *   `urls`, `annotations`, `data`, `platform`, `artifactType` when set.
 * Fields an object carries beyond the schema (a newer registry's) follow the known ones.
 */

const EventKeys = keySet('id timestamp action target request actor source');
const DescriptorKeys = 'mediaType digest size urls annotations data platform artifactType';
const DescriptorKeySet = keySet(DescriptorKeys);
const TargetKeys = keySet(`${DescriptorKeys} length repository fromRepository url tag references`);
const PlatformKeys = keySet('architecture os os.version os.features variant');
const RequestKeys = keySet('id addr host method useragent');
const ActorKeys = keySet('name');
const SourceKeys = keySet('addr instanceID');

/**
 * The compact Go JSON of one event. An event that came from `parseEnvelope` and is asked for in
 * the layout it arrived in gives back its original text; anything else goes through the schema.
 */
export function encodeEvent(
  event: Event,
  mediaType: EventsMediaTypeName = EventsMediaType,
): string {
  return boundRawEvent(event, mediaType) ?? writeEvent(event, mediaType === EventsMediaTypeV2);
}

/** The name the durable queue uses: the compact text stored per event. Same as encodeEvent. */
export const rawEvent: (event: Event, mediaType?: EventsMediaTypeName) => string = encodeEvent;

/** Convert a stored compact event text to another layout, keeping fields the schema lacks. */
export function relayout(raw: string, mediaType: EventsMediaTypeName): string {
  return writeEvent(parseEvent(raw), mediaType === EventsMediaTypeV2);
}

/** The HTTP body for `events`, byte-identical to Go's `json.MarshalIndent(env, "", "   ")`. */
export function encodeEnvelope(
  events: readonly Event[] | Envelope,
  mediaType: EventsMediaTypeName = EventsMediaType,
): string {
  const list: readonly Event[] = 'events' in events ? events.events : events;
  return envelopeBody(list.map((e) => encodeEvent(e, mediaType)));
}

/** The HTTP body built from compact event texts (as stored in the queue). */
export function envelopeBody(rawEvents: readonly string[]): string {
  // Envelope.Events is `omitempty`: an empty envelope marshals as {}.
  if (rawEvents.length === 0) return '{}';
  return indentGo(`{"events":[${rawEvents.join(',')}]}`);
}

function writeEvent(e: Event, v2: boolean): string {
  const f: string[] = [];
  if (e.id) f.push(`"id":${goQuote(e.id)}`);
  f.push(`"timestamp":${goQuote(e.timestamp)}`);
  if (e.action) f.push(`"action":${goQuote(e.action)}`);
  f.push(`"target":${writeTarget(e.target, v2)}`);
  const r = e.request;
  const req = [`"id":${goQuote(r.id ?? '')}`];
  if (r.addr) req.push(`"addr":${goQuote(r.addr)}`);
  if (r.host) req.push(`"host":${goQuote(r.host)}`);
  req.push(`"method":${goQuote(r.method ?? '')}`, `"useragent":${goQuote(r.useragent ?? '')}`);
  f.push(`"request":${close(req, r, RequestKeys)}`);
  const actor: string[] = [];
  if (e.actor.name) actor.push(`"name":${goQuote(e.actor.name)}`);
  f.push(`"actor":${close(actor, e.actor, ActorKeys)}`);
  const source: string[] = [];
  if (e.source.addr) source.push(`"addr":${goQuote(e.source.addr)}`);
  if (e.source.instanceID) source.push(`"instanceID":${goQuote(e.source.instanceID)}`);
  f.push(`"source":${close(source, e.source, SourceKeys)}`);
  return close(f, e, EventKeys);
}

function writeTarget(t: Target, v2: boolean): string {
  const f = descriptorFields(t, v2);
  if (t.length) f.push(`"length":${int(t.length)}`);
  if (t.repository) f.push(`"repository":${goQuote(t.repository)}`);
  if (t.fromRepository) f.push(`"fromRepository":${goQuote(t.fromRepository)}`);
  if (t.url) f.push(`"url":${goQuote(t.url)}`);
  if (t.tag) f.push(`"tag":${goQuote(t.tag)}`);
  if (t.references && t.references.length > 0) {
    const refs = t.references.map((d) => close(descriptorFields(d, v2), d, DescriptorKeySet));
    f.push(`"references":[${refs.join(',')}]`);
  }
  return close(f, t, TargetKeys);
}

function descriptorFields(d: Descriptor, v2: boolean): string[] {
  const f: string[] = [];
  if (v2) {
    f.push(`"mediaType":${goQuote(d.mediaType ?? '')}`);
    f.push(`"digest":${goQuote(d.digest ?? '')}`, `"size":${int(d.size ?? 0)}`);
  } else {
    if (d.mediaType) f.push(`"mediaType":${goQuote(d.mediaType)}`);
    if (d.size) f.push(`"size":${int(d.size)}`);
    if (d.digest) f.push(`"digest":${goQuote(d.digest)}`);
  }
  if (d.urls && d.urls.length > 0) f.push(`"urls":[${d.urls.map(goQuote).join(',')}]`);
  if (d.annotations) {
    // Go marshals map keys sorted by their UTF-8 bytes, i.e. by code point.
    const keys = Object.keys(d.annotations).sort(compareCodePoints);
    const a = d.annotations;
    if (keys.length > 0)
      f.push(
        `"annotations":{${keys.map((k) => `${goQuote(k)}:${goQuote(a[k] ?? '')}`).join(',')}}`,
      );
  }
  if (v2 && d.data) f.push(`"data":${goQuote(d.data)}`);
  if (d.platform) f.push(`"platform":${writePlatform(d.platform)}`);
  if (v2 && d.artifactType) f.push(`"artifactType":${goQuote(d.artifactType)}`);
  return f;
}

function writePlatform(p: Platform): string {
  const f = [`"architecture":${goQuote(p.architecture ?? '')}`, `"os":${goQuote(p.os ?? '')}`];
  if (p['os.version']) f.push(`"os.version":${goQuote(p['os.version'])}`);
  const features = p['os.features'];
  if (features && features.length > 0) f.push(`"os.features":[${features.map(goQuote).join(',')}]`);
  if (p.variant) f.push(`"variant":${goQuote(p.variant)}`);
  return close(f, p, PlatformKeys);
}

/** Append the fields of `obj` the schema does not know, then close the object. */
function close(fields: string[], obj: object, known: ReadonlySet<string>): string {
  const bound = boundExtraFields(obj);
  if (bound !== undefined) {
    for (const [k, text] of bound) fields.push(`${goQuote(k)}:${text}`);
  } else {
    for (const [k, v] of Object.entries(obj)) {
      if (!known.has(k) && v !== undefined) fields.push(`${goQuote(k)}:${encodeValue(v)}`);
    }
  }
  return `{${fields.join(',')}}`;
}

/** Go-style JSON of an arbitrary value the schema does not describe. */
function encodeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    // Go refuses NaN/Inf; otherwise its float format matches JS's for these thresholds.
    if (!Number.isFinite(v)) throw new JsonUnsupportedError(`json: unsupported value: ${v}`);
    return String(v);
  }
  if (Array.isArray(v))
    return `[${v.map((x: unknown) => (x === undefined ? 'null' : encodeValue(x))).join(',')}]`;
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) parts.push(`${goQuote(k)}:${encodeValue(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new JsonUnsupportedError(`json: unsupported type: ${typeof v}`);
}

/**
 * A value Go's encoder refuses (json.UnsupportedValueError / UnsupportedTypeError) or a size
 * that is not an int64. A TypeError, as the caller passed what the schema does not allow.
 */
export class JsonUnsupportedError extends TypeError {
  readonly code = 'ERR_JSON_UNSUPPORTED';
  constructor(message: string) {
    super(message);
    this.name = 'JsonUnsupportedError';
  }
}

/** Sizes are Go int64s: refuse anything that would not marshal as a plain decimal integer. */
function int(n: number): string {
  if (!Number.isSafeInteger(n))
    throw new JsonUnsupportedError(`json: size must be an integer, got ${n}`);
  return String(n);
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n;) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(i) ?? 0;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

function keySet(keys: string): ReadonlySet<string> {
  return new Set(keys.split(' '));
}
