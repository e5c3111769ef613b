/**
 * The ingest handler on a real HTTP server on 127.0.0.1 with a sink the test controls, for the
 * tests of its bounds (ingest-limits.test.ts) and of the server around it.
 */
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach } from 'vitest';
import { createIngestHandler } from '../../../src/http/ingest.js';
import type { IngestOptions, IngestOutcome } from '../../../src/http/ingest.js';
import { createOpsHandler } from '../../../src/http/ops.js';
import { startHttpServer } from '../../../src/http/server.js';
import type { HttpServerOptions, RunningHttpServer } from '../../../src/http/server.js';
import { EventsMediaType } from '../../../src/events/types.js';
import type { EncodedEvent } from '../../../src/queue/producer.js';
import type { Event, EventsMediaTypeName } from '../../../src/events/types.js';

export const V1 = EventsMediaType;
export const silent = pino({ level: 'silent' });

export interface SinkCall {
  events: readonly Event[];
  mediaType: EventsMediaTypeName | undefined;
}

/** A fake sink whose writeEncoded the test controls: records calls, answers with `impl`. */
export function fakeSink(
  impl: (call: SinkCall) => Promise<Record<string, number>> = async () => ({ a: 1 }),
) {
  const calls: SinkCall[] = [];
  return {
    calls,
    writeEncoded(entries: readonly EncodedEvent[], mediaType?: EventsMediaTypeName) {
      const call = { events: entries.map((e) => e.event), mediaType };
      calls.push(call);
      return impl(call).then((stored) => ({ stored, duplicates: {} }));
    },
  };
}

/** One small, valid event's JSON text; `pad` adds an unknown field of that many bytes. */
export function eventJson(id: string, pad = 0): string {
  const extra = pad > 0 ? `,"pad":"${'x'.repeat(pad)}"` : '';
  return (
    `{"id":"${id}","timestamp":"2024-01-01T00:00:00Z","action":"push",` +
    `"target":{"mediaType":"application/octet-stream","size":3,"digest":"sha256:abc","repository":"r"}${extra}}`
  );
}

/** An envelope of `count` events with ids `<tag>-<i>`, each padded by `pad` bytes. */
export function envelopeOf(tag: string, count = 1, pad = 0): string {
  const events = Array.from({ length: count }, (_, i) => eventJson(`${tag}-${i}`, pad));
  return `{"events":[${events.join(',')}]}`;
}

const servers: RunningHttpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

export type ServeOptions = Partial<IngestOptions> &
  Pick<IngestOptions, 'sink'> & { server?: Partial<HttpServerOptions> };

/** The ingest at /events and /healthz on one server, as app.ts wires them. */
export async function serveIngest(options: ServeOptions) {
  const outcomes: IngestOutcome[] = [];
  const { server: serverOptions, ...ingestOptions } = options;
  const handler = createIngestHandler({
    path: '/events',
    logger: silent,
    observe: (o) => outcomes.push(o),
    ...ingestOptions,
  });
  const server = await startHttpServer({
    addr: '127.0.0.1:0',
    handlers: [handler, createOpsHandler({ logger: silent })],
    logger: silent,
    ...serverOptions,
  });
  servers.push(server);
  return { url: `${server.url}/events`, base: server.url, port: server.port, outcomes };
}

export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': V1, ...headers },
    body,
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as { error: { code: string; message: string } },
  };
}
