/**
 * The registry's notification event, as distribution/distribution's `notifications/event.go`
 * defines it. Property names are the JSON keys. See docs/compatibility.md §1.
 *
 * Times are kept as the RFC 3339 strings that travel on the wire (Go's RFC3339Nano, which JS
 * `Date` cannot hold), sizes as numbers.
 */

/** Registry 2.x media type (the default; what the original package's docs describe). */
export const EventsMediaType = 'application/vnd.docker.distribution.events.v1+json';
/** Registry 3.x media type. */
export const EventsMediaTypeV2 = 'application/vnd.docker.distribution.events.v2+json';
export type EventsMediaTypeName = typeof EventsMediaType | typeof EventsMediaTypeV2;

export const EventActionPull = 'pull';
export const EventActionPush = 'push';
export const EventActionMount = 'mount';
export const EventActionDelete = 'delete';
export type EventAction =
  | typeof EventActionPull
  | typeof EventActionPush
  | typeof EventActionMount
  | typeof EventActionDelete;

/** The media type the registry gives every blob (its storage layer hard-codes it). */
export const BlobMediaType = 'application/octet-stream';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
}

/**
 * An OCI descriptor (image-spec v1.1). `mediaType`, `digest` and `size` are always present in
 * the v2 (registry 3.x) layout and omitted when empty in the v1 (2.x) layout: use `''` and `0`
 * for "not set".
 */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** base64 (standard, padded), as Go encodes []byte */
  data?: string;
  platform?: Platform;
  artifactType?: string;
}

export interface Target extends Descriptor {
  /** Same as size, for backwards compatibility (omitted when 0). */
  length?: number;
  repository?: string;
  fromRepository?: string;
  url?: string;
  tag?: string;
  references?: Descriptor[];
}

export interface RequestRecord {
  id: string;
  addr?: string;
  host?: string;
  method: string;
  useragent: string;
}

export interface ActorRecord {
  name?: string;
}

export interface SourceRecord {
  addr?: string;
  instanceID?: string;
}

export interface Event {
  id: string;
  /** RFC 3339 with up to nanoseconds, trailing zeros trimmed (Go's time.RFC3339Nano). */
  timestamp: string;
  action: EventAction | (string & {});
  target: Target;
  request: RequestRecord;
  actor: ActorRecord;
  source: SourceRecord;
}

export interface Envelope {
  events: Event[];
}
