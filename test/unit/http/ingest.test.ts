import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/errors.js';
import { createIngestHandler } from '../../../src/http/ingest.js';
import type { IngestOptions, IngestOutcome } from '../../../src/http/ingest.js';
import { startHttpServer } from '../../../src/http/server.js';
import type { RunningHttpServer } from '../../../src/http/server.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../../../src/events/types.js';
import type { Event } from '../../../src/events/types.js';
import { deferred } from '../../helpers/wait.js';
import { fakeSink } from './ingest-harness.js';

const V1 = EventsMediaType;
const fixturesDir = path.resolve(import.meta.dirname, '../../fixtures/registry-2.8.2');

/** A pino logger writing into an array, so tests can look at what was logged. */
function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function envelope(event: Partial<Event> & Record<string, unknown> = {}): string {
  return JSON.stringify({
    events: [
      {
        id: 'evt-1',
        timestamp: '2024-01-01T00:00:00Z',
        action: 'push',
        target: {
          mediaType: 'application/octet-stream',
          size: 3,
          digest: 'sha256:abc',
          repository: 'r',
        },
        request: { id: 'req', method: 'PUT', useragent: 'ua' },
        actor: {},
        source: {},
        ...event,
      },
    ],
  });
}

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: Partial<IngestOptions> & Pick<IngestOptions, 'sink'>) {
  const outcomes: IngestOutcome[] = [];
  const handler = createIngestHandler({
    path: '/events',
    logger: pino({ level: 'silent' }),
    observe: (o) => outcomes.push(o),
    ...options,
  });
  server = await startHttpServer({
    addr: '127.0.0.1:0',
    handlers: [handler],
    logger: pino({ level: 'silent' }),
  });
  return { url: `${server.url}/events`, outcomes };
}

async function post(
  url: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = {},
) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': V1, ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as { error: { code: string; message: string } },
  };
}

describe('ingest: acceptance', () => {
  it('answers 200 only after writeMany resolved', async () => {
    const gate = deferred<Record<string, number>>();
    const called = deferred();
    const order: string[] = [];
    const sink = fakeSink(async () => {
      order.push('writeMany called');
      called.resolve();
      const r = await gate.promise;
      order.push('writeMany resolved');
      return r;
    });
    const { url, outcomes } = await serve({ sink });
    const pending = post(url, envelope()).then((r) => {
      order.push('response received');
      return r;
    });
    await called.promise;
    expect(order).toEqual(['writeMany called']);
    gate.resolve({ a: 1, b: 0 });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ accepted: 1, stored: { a: 1, b: 0 } });
    expect(order).toEqual(['writeMany called', 'writeMany resolved', 'response received']);
    expect(outcomes).toEqual([expect.objectContaining({ status: 200, events: 1 })]);
  });

  it('accepts the real registry 2.8.2 fixture bodies with their Content-Type, as v1', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink });
    const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBeGreaterThan(0);
    let count = 0;
    for (const file of files) {
      const lines = readFileSync(path.join(fixturesDir, file), 'utf8').split('\n').filter(Boolean);
      for (const line of lines) {
        const rec = JSON.parse(line) as { headers: Record<string, string>; body: string };
        const res = await post(url, rec.body, {
          'content-type': rec.headers['content-type'] ?? '',
        });
        expect(res.status, res.text).toBe(200);
        const call = sink.calls[count++];
        const sent = JSON.parse(rec.body) as { events: { id: string; action: string }[] };
        expect(call?.mediaType).toBe(V1);
        expect(call?.events.map((e) => [e.id, e.action])).toEqual(
          sent.events.map((e) => [e.id, e.action]),
        );
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('takes the layout from a v2 Content-Type (charset ignored) and detects it for application/json', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink });
    expect(
      (await post(url, envelope(), { 'content-type': `${EventsMediaTypeV2}; charset=utf-8` }))
        .status,
    ).toBe(200);
    expect((await post(url, envelope(), { 'content-type': 'Application/JSON' })).status).toBe(200);
    expect(sink.calls.map((c) => c.mediaType)).toEqual([EventsMediaTypeV2, V1]);
  });

  it('returns false for other paths so a router can go on (404 from the server)', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink });
    const res = await post(url.replace('/events', '/other'), envelope());
    expect(res.status).toBe(404);
    expect(sink.calls).toHaveLength(0);
  });
});

describe('ingest: refusals', () => {
  it('400 for bad JSON, no events and wrong field types, naming the problem', async () => {
    const sink = fakeSink();
    const { url, outcomes } = await serve({ sink });
    const bad = await post(url, '{"events": [');
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('ERR_INVALID_ENVELOPE');
    expect(bad.json().error.message).toMatch(/^body: not JSON/);

    const none = await post(url, '{"events": []}');
    expect(none.status).toBe(400);
    expect(none.json().error.message).toBe('events: must be a non-empty array');

    const size = await post(
      url,
      envelope({ target: { mediaType: 'x', digest: 'd', size: -1 } as Event['target'] }),
    );
    expect(size.status).toBe(400);
    expect(size.json().error.message).toMatch(/^events\[0\]\.target\.size: /);

    const empty = await post(url, '');
    expect(empty.status).toBe(400);
    expect(empty.json().error.message).toBe('body: empty');
    expect(sink.calls).toHaveLength(0);
    expect(outcomes.map((o) => o.status)).toEqual([400, 400, 400, 400]);
  });

  it('411 when there is no body at all (no Content-Length, not chunked)', async () => {
    const { url } = await serve({ sink: fakeSink() });
    // undici always sends Content-Length: 0 on a bodiless POST, so speak HTTP by hand.
    const { port } = new URL(url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${V1}\r\nConnection: close\r\n\r\n`,
      );
    });
    expect(reply).toMatch(/^HTTP\/1\.1 411 /);
    expect(reply).toContain('"code":"ERR_LENGTH_REQUIRED"');
  });

  it('413 past maxBodyBytes, without calling the sink (declared length and chunked)', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink });
    const res = await post(url, Buffer.alloc(5 * 1024 * 1024, 0x20));
    expect(res.status).toBe(413);
    expect(res.json().error).toEqual({
      code: 'ERR_BODY_TOO_LARGE',
      message: 'body larger than 1048576 bytes',
    });
    async function* chunks() {
      for (let i = 0; i < 80; i++) yield Buffer.alloc(64 * 1024, 0x20);
    }
    const chunked = await request(url, {
      method: 'POST',
      headers: { 'content-type': V1 },
      body: Readable.from(chunks()),
    });
    expect(chunked.statusCode).toBe(413);
    await chunked.body.dump();
    expect(sink.calls).toHaveLength(0);
  });

  it('honours a smaller maxBodyBytes', async () => {
    const { url } = await serve({ sink: fakeSink(), maxBodyBytes: 100 });
    expect((await post(url, envelope())).status).toBe(413);
  });

  it('415 for another media type, listing the accepted ones', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink });
    const res = await post(url, envelope(), { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.json().error.message).toContain('text/plain');
    expect(res.json().error.message).toContain(V1);
    expect(res.json().error.message).toContain(EventsMediaTypeV2);
    expect(sink.calls).toHaveLength(0);
  });

  it('405 with Allow: POST for other methods', async () => {
    const { url } = await serve({ sink: fakeSink() });
    const res = await request(url, { method: 'GET' });
    expect(res.statusCode).toBe(405);
    expect(res.headers['allow']).toBe('POST');
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe(
      'ERR_METHOD_NOT_ALLOWED',
    );
  });

  it('503 with Retry-After: 1 when the store is unavailable', async () => {
    const sink = fakeSink(() => Promise.reject(new StoreUnavailableError('redis down')));
    const { url, outcomes } = await serve({ sink });
    const res = await post(url, envelope());
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().error).toEqual({
      code: 'ERR_STORE_UNAVAILABLE',
      message: 'store unavailable: redis down',
    });
    expect(outcomes).toEqual([expect.objectContaining({ status: 503, events: 1 })]);
  });

  it('500 (and an error log) for any other sink failure', async () => {
    const { logger, lines } = memoryLogger();
    const sink = fakeSink(() => Promise.reject(new TypeError('boom')));
    const { url } = await serve({ sink, logger });
    const res = await post(url, envelope());
    expect(res.status).toBe(500);
    expect(res.json().error.code).toBe('ERR_INTERNAL');
    expect(lines.some((l) => l.includes('"level":50') && l.includes('boom'))).toBe(true);
  });
});

describe('ingest: auth', () => {
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('bearer token: ok, wrong, missing', async () => {
    const { logger, lines } = memoryLogger();
    const sink = fakeSink();
    const { url } = await serve({ sink, auth: { token: 's3cret' }, logger });
    expect((await post(url, envelope(), { authorization: 'Bearer s3cret' })).status).toBe(200);
    const wrong = await post(url, envelope(), { authorization: 'Bearer s3cre' });
    expect(wrong.status).toBe(401);
    expect(wrong.json().error.message).toBe('invalid credentials');
    const missing = await post(url, envelope());
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="regnotify"');
    expect(missing.json().error.message).toBe('credentials required');
    expect(sink.calls).toHaveLength(1);
    expect(lines.join('')).not.toContain('s3cre');
  });

  it('basic user/password: ok, wrong user, wrong password, missing, other scheme', async () => {
    const sink = fakeSink();
    const { url } = await serve({ sink, auth: { username: 'alice', password: 'pw' } });
    expect((await post(url, envelope(), { authorization: basic('alice', 'pw') })).status).toBe(200);
    expect((await post(url, envelope(), { authorization: basic('bob', 'pw') })).status).toBe(401);
    expect((await post(url, envelope(), { authorization: basic('alice', 'px') })).status).toBe(401);
    expect((await post(url, envelope(), { authorization: 'Bearer pw' })).status).toBe(401);
    const missing = await post(url, envelope());
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Basic realm="regnotify", charset="UTF-8"');
    expect(sink.calls).toHaveLength(1);
  });

  it('empty auth values mean no auth', async () => {
    const { url } = await serve({
      sink: fakeSink(),
      auth: { token: '', username: '', password: '' },
    });
    expect((await post(url, envelope())).status).toBe(200);
  });
});
