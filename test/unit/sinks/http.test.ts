import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpStatusError, HttpTransportError, SinkClosedError } from '../../../src/errors.js';
import { encodeEnvelope } from '../../../src/events/encode.js';
import { EventsMediaTypeV2 } from '../../../src/events/types.js';
import { EndpointMetricsRecorder, emptyMetrics } from '../../../src/metrics/endpoint-metrics.js';
import type { EndpointMetrics } from '../../../src/metrics/endpoint-metrics.js';
import { HttpSink } from '../../../src/sinks/http.js';
import type { PostResult } from '../../../src/sinks/http.js';
import { retryAfterMs } from '../../../src/sinks/http-response.js';
import { testEvent } from '../../helpers/test-sinks.js';
import { startGoTestServer } from './go-test-server.js';
import type { GoTestServer } from './go-test-server.js';

let server: GoTestServer;
beforeEach(async () => {
  server = await startGoTestServer();
});
afterEach(async () => {
  await server.close();
});

const body = (id = 'e'): string => encodeEnvelope([testEvent('push', 'r', 'blob', id)]);

describe('HttpSink (notifications TestHTTPSink)', () => {
  it('counts successes, failures and errors per attempt, then takes a second close as the first', async () => {
    const metrics = new EndpointMetricsRecorder();
    const expected: EndpointMetrics = emptyMetrics();
    const sinkFor = (url: string): HttpSink => new HttpSink(url, { listeners: [metrics] });

    const ok = sinkFor(`${server.url}/?status=200`);
    for (const ev of [
      testEvent('push', 'r', 'application/vnd.docker.distribution.manifest.v2+json'),
      testEvent('push', 'r', 'application/octet-stream'),
      testEvent('pull', 'r', 'application/vnd.oci.image.manifest.v1+json'),
      testEvent('delete', 'r', ''),
    ]) {
      await ok.write(ev);
      expected.successes++;
      expected.statuses['200 OK'] = (expected.statuses['200 OK'] ?? 0) + 1;
      expect(metrics.snapshot()).toEqual(expected);
    }

    // A 307 without Location is final: a success, under Go's reason phrase.
    await sinkFor(`${server.url}/?status=307`).write(testEvent('push', 'r', 'm'));
    expected.successes++;
    expected.statuses['307 Temporary Redirect'] = 1;
    expect(metrics.snapshot()).toEqual(expected);

    const bad = sinkFor(`${server.url}/?status=400`);
    const e400 = await bad.write(testEvent('push', 'r', 'm')).catch((e: unknown) => e);
    expect(e400).toBeInstanceOf(HttpStatusError);
    // The URL in its display form: query values hidden (src/sinks/url-display.ts).
    expect((e400 as Error).message).toBe(
      `httpSink{${server.url}/?status=***}: response status 400 Bad Request unaccepted`,
    );
    expected.failures++;
    expected.statuses['400 Bad Request'] = 1;
    expect(metrics.snapshot()).toEqual(expected);

    const closer = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
    const port = (closer.address() as AddressInfo).port;
    const dropped = sinkFor(`http://127.0.0.1:${port}/`);
    const eDrop = await dropped.write(testEvent('push', 'r', 'm')).catch((e: unknown) => e);
    expect(eDrop).toBeInstanceOf(HttpTransportError);
    expected.errors++;
    expect(metrics.snapshot()).toEqual(expected);
    await new Promise<void>((r) => closer.close(() => r()));

    expect(server.seen.every((s) => s.method === 'POST')).toBe(true);
    await expect(ok.close()).resolves.toBeUndefined();
    await expect(ok.close()).resolves.toBeUndefined(); // a second close is the first one
    await expect(ok.write(testEvent('push', 'r', 'm'))).rejects.toBeInstanceOf(SinkClosedError);
    await expect(ok.post(body())).rejects.toBeInstanceOf(SinkClosedError);
    for (const s of [bad, dropped]) await s.close();
    expect(String(ok)).toBe(`httpSink{${server.url}/?status=***}`);
  });

  it('sends the configured media type and the encoded envelope, one request per post', async () => {
    const sink = new HttpSink(`${server.url}/any`, { mediaType: EventsMediaTypeV2 });
    const event = testEvent('push', 'r', 'm', 'the-id');
    await sink.write(event);
    const [req] = server.seen;
    expect(req?.body).toBe(encodeEnvelope([event], EventsMediaTypeV2));
    expect(header(req?.rawHeaders, 'content-type')).toEqual([EventsMediaTypeV2]);
    expect(header(req?.rawHeaders, 'content-length')).toEqual([
      String(Buffer.byteLength(req?.body ?? '')),
    ]);
    await sink.close();
  });
});

describe('HttpSink redirects (Go client rules)', () => {
  it('follows 302 with a GET without body, and the final status decides', async () => {
    const sink = new HttpSink(`${server.url}/redirect?code=302&to=/any`);
    await expect(sink.post(body())).resolves.toEqual({ ok: true, status: 200 });
    expect(server.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/redirect?code=302&to=/any', body()],
      ['GET', '/any', ''],
    ]);
    await sink.close();
  });

  it('re-POSTs the same body on 307 and 308 (relative Location)', async () => {
    const sink = new HttpSink(`${server.url}/redirect?code=308&to=chain%3Fn%3D1`);
    await expect(sink.post(body('x'))).resolves.toEqual({ ok: true, status: 200 });
    expect(server.seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', '/redirect?code=308&to=chain%3Fn%3D1'],
      ['POST', '/chain?n=1'],
      ['POST', '/chain?n=0'],
    ]);
    expect(new Set(server.seen.map((s) => s.body))).toEqual(new Set([body('x')]));
    await sink.close();
  });

  it('follows 9 redirects but refuses the 10th (an 11th request), as a transport error', async () => {
    const sink = new HttpSink(`${server.url}/chain?n=9`);
    await expect(sink.post(body())).resolves.toEqual({ ok: true, status: 200 });
    expect(server.seen).toHaveLength(10);
    const errs: Error[] = [];
    const sink2 = new HttpSink(`${server.url}/chain?n=10`, {
      listeners: [{ success: () => undefined, failure: () => undefined, err: (e) => errs.push(e) }],
    });
    const result = await sink2.post(body());
    expect(result.ok).toBe(false);
    expect(result.status).toBe(0);
    expect(!result.ok && result.error).toBeInstanceOf(HttpTransportError);
    expect(!result.ok && result.error.message).toMatch(/stopped after 10 redirects/);
    expect(!result.ok && result.error.cause).toMatchObject({ code: 'ERR_TOO_MANY_REDIRECTS' });
    expect(server.seen).toHaveLength(20);
    expect(errs).toHaveLength(1);
    await sink.close();
    await sink2.close();
  });

  it('sends configured headers verbatim, after ours, on every hop', async () => {
    const sink = new HttpSink(`${server.url}/redirect?code=307&to=/any`, {
      headers: { authorization: ['Bearer s3cret'], 'X-Multi': ['a', 'b'] },
    });
    await sink.post(body());
    expect(server.seen).toHaveLength(2);
    for (const s of server.seen) {
      expect(header(s.rawHeaders, 'authorization', true)).toEqual(['Bearer s3cret']);
      expect(header(s.rawHeaders, 'X-Multi', true)).toEqual(['a', 'b']);
      const names = s.rawHeaders.filter((_, i) => i % 2 === 0);
      expect(names.indexOf('authorization')).toBeGreaterThan(names.indexOf('Content-Type'));
    }
    await sink.close();
  });
});

describe('HttpSink attempt classification', () => {
  it('times out across the whole exchange: err listener and HttpTransportError', async () => {
    const errs: Error[] = [];
    const sink = new HttpSink(`${server.url}/slow`, {
      timeoutMs: 100,
      listeners: [{ success: () => undefined, failure: () => undefined, err: (e) => errs.push(e) }],
    });
    const result = await sink.post(body(), { count: 3 });
    expect(result).toMatchObject({ ok: false, status: 0 });
    expect(!result.ok && result.error).toBeInstanceOf(HttpTransportError);
    expect(!result.ok && result.error.message).toMatch(/deadline exceeded/);
    expect(errs).toHaveLength(1);
    await sink.close();
  });

  it("honours the caller's abort signal", async () => {
    const sink = new HttpSink(`${server.url}/slow`, { timeoutMs: 60_000 });
    const ac = new AbortController();
    const pending = sink.post(body(), { signal: ac.signal });
    await waitUntil(() => server.seen.length === 1);
    ac.abort();
    await expect(pending).resolves.toMatchObject({ ok: false, status: 0 });
    await sink.close();
  });

  it('reads Retry-After on 429 and 503 only', async () => {
    const post = async (q: string): Promise<PostResult> => {
      const sink = new HttpSink(`${server.url}/?${q}`);
      try {
        return await sink.post(body());
      } finally {
        await sink.close();
      }
    };
    expect(await post('status=429&retryAfter=5')).toMatchObject({
      ok: false,
      status: 429,
      retryAfterMs: 5000,
    });
    const past = new Date(Date.now() - 60_000).toUTCString();
    expect(await post(`status=503&retryAfter=${encodeURIComponent(past)}`)).toMatchObject({
      status: 503,
      retryAfterMs: 0,
    });
    const r500 = await post('status=500&retryAfter=5');
    expect(r500).toMatchObject({ ok: false, status: 500 });
    expect('retryAfterMs' in r500).toBe(false);
    const r503 = await post('status=503');
    expect('retryAfterMs' in r503).toBe(false);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 30))).toBe(
      30_000,
    );
    expect(retryAfterMs('soon', 0)).toBeUndefined();
    expect(retryAfterMs([' 2 '], 0)).toBe(2000);
  });

  it('consumes response bodies: a keep-alive connection is reused, a big body does not stall', async () => {
    const agent = new Agent({ connections: 1 });
    try {
      const small = new HttpSink(`${server.url}/body?size=32768`, { dispatcher: agent });
      for (let i = 0; i < 3; i++)
        await expect(small.post(body())).resolves.toMatchObject({ ok: true });
      expect(new Set(server.seen.map((s) => s.remotePort)).size).toBe(1);
      const big = new HttpSink(`${server.url}/body?size=4000000`, { dispatcher: agent });
      await expect(big.post(body())).resolves.toMatchObject({ ok: true, status: 200 });
      await expect(small.post(body())).resolves.toMatchObject({ ok: true, status: 200 });
      await small.close();
      await big.close();
    } finally {
      await agent.close();
    }
  });

  it('keeps one write in flight per sink, in call order', async () => {
    const sink = new HttpSink(`${server.url}/delay?ms=5`);
    const events = Array.from({ length: 5 }, (_, i) => testEvent('push', 'r', 'blob', `e${i}`));
    await Promise.all(events.map((e) => sink.write(e)));
    expect(server.maxInFlight).toBe(1);
    expect(server.seen.map((s) => s.body)).toEqual(events.map((e) => encodeEnvelope([e])));
    await sink.close();
  });

  it('lets posts run side by side (the queue decides how many) and waits for them on close', async () => {
    const sink = new HttpSink(`${server.url}/delay?ms=30`);
    const posts = Array.from({ length: 3 }, (_, i) => sink.post(body(`p${i}`)));
    const closed = sink.close();
    const results = await Promise.all(posts);
    await closed;
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.maxInFlight).toBeGreaterThan(1);
  });
});

/** Values of a raw header; names compared case-insensitively unless `exact`. */
function header(raw: string[] | undefined, name: string, exact = false): string[] {
  const out: string[] = [];
  for (let i = 0; raw && i + 1 < raw.length; i += 2) {
    const k = raw[i] ?? '';
    if (exact ? k === name : k.toLowerCase() === name.toLowerCase()) out.push(raw[i + 1] ?? '');
  }
  return out;
}

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
