import type { JsonNode } from './jsontree.js';
import { compactNode } from './gojson.js';
import { Members, invalid } from './members.js';
import { bindRawEvent } from './rawcache.js';
import type {
  ActorRecord,
  Descriptor,
  Event,
  EventsMediaTypeName,
  Platform,
  RequestRecord,
  SourceRecord,
  Target,
} from './types.js';

/**
 * Validates one event of a parsed envelope and builds its typed view the way Go's decoder
 * fills the structs (absent descriptor fields are `''`/`0`, absent records `{}`). Fields the
 * schema does not know are kept: as properties of the typed object, and (bound in rawcache.ts)
 * as their compact text, in the order they arrived.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$/;
const Base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const DescriptorKeys = [
  'mediaType',
  'digest',
  'size',
  'urls',
  'annotations',
  'data',
  'platform',
  'artifactType',
];
const TargetKeys = [
  ...DescriptorKeys,
  'length',
  'repository',
  'fromRepository',
  'url',
  'tag',
  'references',
];

/**
 * Build the typed, deep-frozen view of one event node, bound to its compact text in the layout
 * `mediaType` (the text is returned too). `path` prefixes error fields.
 */
export function decodeEvent(
  node: JsonNode,
  path: string,
  mediaType: EventsMediaTypeName,
): { event: Event; raw: string } {
  const m = new Members(node, path, EventKeys);
  const id = m.str('id');
  if (!id) throw invalid(`${path}.id`, 'must be a non-empty string', m.get('id'));
  const timestamp = m.str('timestamp');
  if (timestamp === undefined || !isRFC3339(timestamp)) {
    throw invalid(`${path}.timestamp`, 'must be an RFC 3339 time', m.get('timestamp'));
  }
  const action = m.str('action');
  if (action === undefined) throw invalid(`${path}.action`, 'must be a string', m.get('action'));
  const event: Event = {
    id,
    timestamp,
    action,
    target: decodeTarget(new Members(m.get('target'), `${path}.target`, TargetKeys)),
    request: decodeRequest(record(m, 'request', RequestKeys)),
    actor: decodeActor(record(m, 'actor', ['name'])),
    source: decodeSource(record(m, 'source', ['addr', 'instanceID'])),
  };
  const raw = compactNode(node);
  bindRawEvent(m.keepExtras(event), raw, mediaType);
  return { event: deepFreeze(event), raw };
}

const EventKeys = ['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source'];
const RequestKeys = ['id', 'addr', 'host', 'method', 'useragent'];

function record(m: Members, key: string, keys: readonly string[]): Members {
  const node = m.get(key) ?? { kind: 'object', entries: [] };
  return new Members(node, `${m.path}.${key}`, keys);
}

function decodeTarget(m: Members): Target {
  const t: Target = decodeDescriptorFields(m);
  const length = m.int('length');
  if (length !== undefined) t.length = length;
  for (const key of ['repository', 'fromRepository', 'url', 'tag'] as const) {
    const v = m.str(key);
    if (v !== undefined) t[key] = v;
  }
  const refs = m.get('references');
  if (refs !== undefined) {
    const at = `${m.path}.references`;
    if (refs.kind !== 'array') throw invalid(at, 'must be an array of descriptors', refs);
    t.references = refs.items.map((d, i) =>
      decodeDescriptor(new Members(d, `${at}[${i}]`, DescriptorKeys)),
    );
  }
  return m.keepExtras(t);
}

function decodeDescriptor(m: Members): Descriptor {
  return m.keepExtras(decodeDescriptorFields(m));
}

function decodeDescriptorFields(m: Members): Descriptor {
  const d: Descriptor = {
    mediaType: m.str('mediaType') ?? '',
    digest: m.str('digest') ?? '',
    size: m.int('size') ?? 0,
  };
  const urls = m.strings('urls');
  if (urls !== undefined) d.urls = urls;
  const annotations = m.stringMap('annotations');
  if (annotations !== undefined) d.annotations = annotations;
  const data = m.str('data');
  if (data !== undefined) {
    if (!Base64.test(data))
      throw invalid(`${m.path}.data`, 'must be standard base64', m.get('data'));
    d.data = data;
  }
  const platform = m.get('platform');
  if (platform !== undefined)
    d.platform = decodePlatform(new Members(platform, `${m.path}.platform`, PlatformKeys));
  const artifactType = m.str('artifactType');
  if (artifactType !== undefined) d.artifactType = artifactType;
  return d;
}

const PlatformKeys = ['architecture', 'os', 'os.version', 'os.features', 'variant'];

function decodePlatform(m: Members): Platform {
  const p: Platform = { architecture: m.str('architecture') ?? '', os: m.str('os') ?? '' };
  const version = m.str('os.version');
  if (version !== undefined) p['os.version'] = version;
  const features = m.strings('os.features');
  if (features !== undefined) p['os.features'] = features;
  const variant = m.str('variant');
  if (variant !== undefined) p.variant = variant;
  return m.keepExtras(p);
}

function decodeRequest(m: Members): RequestRecord {
  const r: RequestRecord = { id: m.str('id') ?? '', method: '', useragent: '' };
  const addr = m.str('addr');
  if (addr !== undefined) r.addr = addr;
  const host = m.str('host');
  if (host !== undefined) r.host = host;
  r.method = m.str('method') ?? '';
  r.useragent = m.str('useragent') ?? '';
  return m.keepExtras(r);
}

function decodeActor(m: Members): ActorRecord {
  const a: ActorRecord = {};
  const name = m.str('name');
  if (name !== undefined) a.name = name;
  return m.keepExtras(a);
}

function decodeSource(m: Members): SourceRecord {
  const s: SourceRecord = {};
  const addr = m.str('addr');
  if (addr !== undefined) s.addr = addr;
  const instanceID = m.str('instanceID');
  if (instanceID !== undefined) s.instanceID = instanceID;
  return m.keepExtras(s);
}

function isRFC3339(s: string): boolean {
  const m = RFC3339.exec(s);
  if (m === null) return false;
  const [, y, mo, d, h, mi, sec, , , oh, om] = m.map((x) => (x === undefined ? 0 : Number(x)));
  const days = daysInMonth(y ?? 0, mo ?? 0);
  return (
    (mo ?? 0) >= 1 &&
    (mo ?? 0) <= 12 &&
    (d ?? 0) >= 1 &&
    (d ?? 0) <= days &&
    (h ?? 0) < 24 &&
    (mi ?? 0) < 60 &&
    (sec ?? 0) < 60 &&
    (oh ?? 0) < 24 &&
    (om ?? 0) < 60
  );
}

/** Days in month `m` (1–12) of year `y`, proleptic Gregorian as Go's time package counts. */
function daysInMonth(y: number, m: number): number {
  // Not Date.UTC: it reads years 0–99 as 1900–1999, and 1900 is not a leap year but 0000 is.
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
