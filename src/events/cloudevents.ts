/**
 * CloudEvents 1.0, JSON structured mode (docs/cloudevents.md): each notification event becomes
 * one CloudEvent whose `data` is the event's stored text spliced in verbatim, never re-encoded,
 * so the event's bytes are exactly the ones the registry sent (in the endpoint's layout).
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { goQuote } from './gojson.js';

export const CloudEventMediaType = 'application/cloudevents+json';
export const CloudEventBatchMediaType = 'application/cloudevents-batch+json';

/** `type` = this prefix + the event's action: io.github.distribution.notification.push… */
export const CloudEventTypePrefix = 'io.github.distribution.notification.';
/** `source` when neither the endpoint nor the event names one. */
export const UnknownSource = 'urn:regnotify:unknown-source';

export interface CloudEventOptions {
  /** The endpoint's `source`; '' = from the event (see cloudEventSource). */
  source: string;
}

interface EventFields {
  id?: unknown;
  timestamp?: unknown;
  action?: unknown;
  target?: { repository?: unknown; tag?: unknown; digest?: unknown };
  source?: { addr?: unknown; instanceID?: unknown };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const Uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The event's `source.addr` (host:port) as a network-path reference, `//host:port`: a bare
 * `10.0.0.1:5000` is not a valid URI reference (a relative path's first segment holds no `:`).
 * The host is kept if it is a bracketed IPv6 address, else percent-encoded where a URI's
 * reg-name cannot hold a character; the port only if it is digits.
 */
function addrSource(addr: string): string {
  const [, host = '', port = ''] = /^(.*?)(:\d*)?$/su.exec(addr) ?? [];
  const literal = host.startsWith('[') && host.endsWith(']') && isIPv6(host.slice(1, -1));
  const safe = literal
    ? host
    : host.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=]/gu, (c) =>
        [...Buffer.from(c)]
          .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
          .join(''),
      );
  return `//${safe}${port}`;
}

/** Configured value > `//<source.addr>` > `urn:uuid:<source.instanceID>` > UnknownSource. */
export function cloudEventSource(e: EventFields, configured: string): string {
  if (configured !== '') return configured;
  const addr = text(e.source?.addr);
  if (addr !== '') return addrSource(addr);
  const instance = text(e.source?.instanceID);
  return Uuid.test(instance) ? `urn:uuid:${instance.toLowerCase()}` : UnknownSource;
}

/** `repository`, `repository:tag` or `repository@digest`; '' without a repository. */
export function cloudEventSubject(e: EventFields): string {
  const repository = text(e.target?.repository);
  if (repository === '') return '';
  const tag = text(e.target?.tag);
  if (tag !== '') return `${repository}:${tag}`;
  const digest = text(e.target?.digest);
  return digest === '' ? repository : `${repository}@${digest}`;
}

/** One CloudEvent (compact JSON) from one stored event text (a JSON object). */
export function cloudEvent(raw: string, options: CloudEventOptions): string {
  const e = JSON.parse(raw) as EventFields;
  // CloudEvents requires a non-empty id; an id-less event gets one derived from its bytes.
  const id = text(e.id) || `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const action = text(e.action) || 'unknown';
  const fields = [
    `"specversion":"1.0"`,
    `"id":${goQuote(id)}`,
    `"source":${goQuote(cloudEventSource(e, options.source))}`,
    `"type":${goQuote(CloudEventTypePrefix + action)}`,
  ];
  const subject = cloudEventSubject(e);
  if (subject !== '') fields.push(`"subject":${goQuote(subject)}`);
  const time = text(e.timestamp);
  if (time !== '') fields.push(`"time":${goQuote(time)}`);
  fields.push(`"datacontenttype":"application/json"`, `"data":${raw}`);
  return `{${fields.join(',')}}`;
}

/**
 * The HTTP body and Content-Type for `raws`: one CloudEvent, or (`batch`, i.e. maxbatch > 1)
 * a JSON array of them, even of one, so a receiver sees one content type per endpoint.
 */
export function cloudEventsBody(
  raws: readonly string[],
  options: CloudEventOptions & { batch: boolean },
): { body: string; contentType: string } {
  if (!options.batch && raws.length === 1) {
    return { body: cloudEvent(raws[0]!, options), contentType: CloudEventMediaType };
  }
  const body = `[${raws.map((r) => cloudEvent(r, options)).join(',')}]`;
  return { body, contentType: CloudEventBatchMediaType };
}
