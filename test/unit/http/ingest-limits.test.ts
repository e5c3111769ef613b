/**
 * The ingest's bounds on what requests in progress may hold: concurrent requests, body bytes in
 * flight, events per request. Past the first two: 503 + Retry-After (come back later); past
 * the third: 413 (the same envelope can never pass).
 */
import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/errors.js';
import { deferred, waitUntil } from '../../helpers/wait.js';
import { V1, envelopeOf, fakeSink, post, serveIngest } from './ingest-harness.js';
import { headerOf, jsonOf, rawConnect, statusOf } from './raw-http.js';

/** A sink that holds every write until `release()`. */
function heldSink() {
  const gate = deferred<Record<string, number>>();
  const sink = fakeSink(() => gate.promise);
  return { sink, release: () => gate.resolve({ a: 1 }) };
}

const errorOf = (text: string) =>
  (jsonOf(text) as { error: { code: string; message: string } }).error;

describe('ingest bound: concurrent requests', () => {
  it('answers 503 with Retry-After naming the bound past maxConcurrentRequests, and takes requests again once they end', async () => {
    const { sink, release } = heldSink();
    const { url, outcomes } = await serveIngest({ sink, maxConcurrentRequests: 2 });
    const held = [post(url, envelopeOf('a')), post(url, envelopeOf('b'))];
    await waitUntil(() => sink.calls.length === 2, { message: 'two writes held' });

    const refused = await post(url, envelopeOf('c'));
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['connection']).toBe('close');
    expect(refused.json().error.code).toBe('ERR_TOO_MANY_REQUESTS');
    expect(refused.json().error.message).toContain('ingest.maxConcurrentRequests');
    expect(refused.json().error.message).toContain('2');
    expect(sink.calls).toHaveLength(2);

    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect((await post(url, envelopeOf('d'))).status).toBe(200);
    expect(outcomes.map((o) => o.status).sort()).toEqual([200, 200, 200, 503]);
  });
});

describe('ingest bound: body bytes in flight', () => {
  it('refuses by the declared Content-Length before reading the body (503, Connection: close)', async () => {
    const { sink, release } = heldSink();
    const { url, port } = await serveIngest({ sink, maxInFlightBytes: 8192, maxBodyBytes: 4096 });
    const first = [envelopeOf('one', 1, 3000), envelopeOf('two', 1, 3000)];
    const held = first.map((body) => post(url, body));
    await waitUntil(() => sink.calls.length === 2, { message: 'two writes held' });

    // Headers only: the body is never sent, so an answer proves it was decided without it.
    const conn = await rawConnect(port);
    await conn.write(
      `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${V1}\r\nContent-Length: 3000\r\n\r\n`,
    );
    const reply = await conn.reply(10_000);
    expect(statusOf(reply.text)).toBe(503);
    expect(headerOf(reply.text, 'retry-after')).toBe('1');
    expect(headerOf(reply.text, 'connection')).toBe('close');
    expect(errorOf(reply.text).code).toBe('ERR_TOO_MANY_BYTES');
    expect(errorOf(reply.text).message).toContain('ingest.maxInFlightBytes');
    expect(errorOf(reply.text).message).toContain('8192');

    // A body that fits beside the held ones is taken.
    const small = envelopeOf('small');
    expect(first[0]!.length + first[1]!.length + small.length).toBeLessThan(8192);
    const fits = post(url, small);
    await waitUntil(() => sink.calls.length === 3, { message: 'small write reached the sink' });
    release();
    expect((await Promise.all([...held, fits])).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('counts a chunked body as it arrives and refuses it once it crosses the bound, unfinished', async () => {
    const { sink, release } = heldSink();
    const { url, port, outcomes } = await serveIngest({
      sink,
      maxInFlightBytes: 8192,
      maxBodyBytes: 4096,
    });
    const held = [post(url, envelopeOf('one', 1, 3000)), post(url, envelopeOf('two', 1, 3000))];
    await waitUntil(() => sink.calls.length === 2, { message: 'two writes held' });

    const conn = await rawConnect(port);
    await conn.write(
      `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${V1}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    // 4 KB in chunks, never the terminating chunk: an answer can only come from counting
    // bytes as they arrive (6.5 KB held + 4 KB crosses 8 KiB).
    const chunk = ' '.repeat(1000);
    for (let i = 0; i < 4; i++) await conn.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const reply = await conn.reply(10_000);
    expect(statusOf(reply.text)).toBe(503);
    expect(errorOf(reply.text).code).toBe('ERR_TOO_MANY_BYTES');
    expect(headerOf(reply.text, 'connection')).toBe('close');
    expect(sink.calls).toHaveLength(2);
    release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200]);
    expect(outcomes.map((o) => o.status).sort()).toEqual([200, 200, 503]);
  });

  it('gives back its slot, bytes and events, whatever the outcome', async () => {
    let mode: 'ok' | 'fail' | 'hold' = 'ok';
    const gate = deferred<Record<string, number>>();
    const sink = fakeSink(async () => {
      if (mode === 'fail') throw new StoreUnavailableError('down');
      return mode === 'hold' ? gate.promise : { a: 1 };
    });
    const body = envelopeOf('full', 1, 3000);
    // Room for exactly two full requests: two slots, two bodies, two events.
    const { url, port, outcomes } = await serveIngest({
      sink,
      maxConcurrentRequests: 2,
      maxInFlightBytes: 2 * body.length,
      maxBodyBytes: body.length,
      maxEventsPerRequest: 1,
      maxInFlightEvents: 2,
    });
    expect((await post(url, `{"events":[${' '.repeat(body.length - 12)}`)).status).toBe(400);
    expect((await post(url, envelopeOf('two', 2))).status).toBe(413);
    mode = 'fail';
    expect((await post(url, body)).status).toBe(503);
    // A client that goes away half-way through its body.
    const conn = await rawConnect(port);
    await conn.write(
      `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${V1}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 100)}`,
    );
    await waitUntil(() => outcomes.length === 3, { message: 'three answers' });
    conn.destroy();
    await waitUntil(() => outcomes.length === 4, { message: 'the abort noticed' });
    expect(outcomes.map((o) => o.status)).toEqual([400, 413, 503, 499]);
    // Everything is free again: two full requests are held at once.
    mode = 'hold';
    const both = [post(url, envelopeOf('a', 1, 3000)), post(url, envelopeOf('b', 1, 3000))];
    await waitUntil(() => sink.calls.length === 3, { message: 'both held' });
    gate.resolve({ a: 1 });
    expect((await Promise.all(both)).map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('ingest bound: events in flight', () => {
  it('refuses with 503 once parsed when its events would pass maxInFlightEvents; small envelopes use the reserve', async () => {
    const { sink, release } = heldSink();
    // 80 events in flight at most; the last 10 kept for envelopes of up to 16 events.
    const { url } = await serveIngest({ sink, maxInFlightEvents: 80, maxEventsPerRequest: 40 });
    const held = [post(url, envelopeOf('one', 40)), post(url, envelopeOf('two', 20))];
    await waitUntil(() => sink.calls.length === 2, { message: 'two writes held' });

    const refused = await post(url, envelopeOf('third', 17)); // 77 <= 80, but 17 > 16: 70 max
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json().error.code).toBe('ERR_TOO_MANY_EVENTS_IN_FLIGHT');
    expect(refused.json().error.message).toContain('ingest.maxInFlightEvents');
    const small = post(url, envelopeOf('small', 16)); // 76: within the reserve
    await waitUntil(() => sink.calls.length === 3, { message: 'the small write reached the sink' });
    release();
    expect((await Promise.all([...held, small])).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sink.calls.map((c) => c.events.length)).toEqual([40, 20, 16]);
  });
});

describe('ingest bound: room kept for small requests', () => {
  it('big bodies use at most seven eighths of the byte budget; small ones the rest', async () => {
    const { sink, release } = heldSink();
    const KiB = 1024;
    const { url, port } = await serveIngest({
      sink,
      maxBodyBytes: 400 * KiB,
      maxInFlightBytes: 800 * KiB,
    });
    const held = [
      post(url, envelopeOf('one', 1, 300 * KiB)),
      post(url, envelopeOf('two', 1, 300 * KiB)),
    ];
    await waitUntil(() => sink.calls.length === 2, { message: 'two writes held' });

    // 600 + 150 KiB is within 800 but past 700 (800 less the reserved eighth): refused.
    const conn = await rawConnect(port);
    await conn.write(
      `POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: ${V1}\r\nContent-Length: ${150 * KiB}\r\n\r\n`,
    );
    const reply = await conn.reply(10_000);
    expect(statusOf(reply.text)).toBe(503);
    expect(errorOf(reply.text).code).toBe('ERR_TOO_MANY_BYTES');
    // A registry-sized envelope still gets in.
    const small = post(url, envelopeOf('small'));
    await waitUntil(() => sink.calls.length === 3, { message: 'the small write reached the sink' });
    release();
    expect((await Promise.all([...held, small])).map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

describe('ingest bound: request slots kept for small requests', () => {
  it('big requests take at most seven of eight slots; a small one gets the eighth', async () => {
    const { sink, release } = heldSink();
    const { url } = await serveIngest({ sink, maxConcurrentRequests: 8 });
    const big = Array.from({ length: 7 }, (_, i) => post(url, envelopeOf(`big${i}`, 1, 70_000)));
    await waitUntil(() => sink.calls.length === 7, { message: 'seven big writes held' });
    const refused = await post(url, envelopeOf('big7', 1, 70_000));
    expect(refused.status).toBe(503);
    expect(refused.json().error.code).toBe('ERR_TOO_MANY_REQUESTS');
    const small = post(url, envelopeOf('small'));
    await waitUntil(() => sink.calls.length === 8, { message: 'the small write reached the sink' });
    release();
    expect((await Promise.all([...big, small])).map((r) => r.status)).toEqual(Array(8).fill(200));
  });
});

describe('ingest bound: events per request', () => {
  it('413 naming the limit past maxEventsPerRequest, before the sink is asked', async () => {
    const sink = fakeSink();
    const { url } = await serveIngest({ sink, maxEventsPerRequest: 3 });
    const refused = await post(url, envelopeOf('many', 4));
    expect(refused.status).toBe(413);
    expect(refused.json().error.code).toBe('ERR_TOO_MANY_EVENTS');
    expect(refused.json().error.message).toContain('4');
    expect(refused.json().error.message).toContain('limit of 3');
    expect(refused.json().error.message).toContain('ingest.maxEventsPerRequest');
    expect(refused.headers['retry-after']).toBeUndefined();
    expect(sink.calls).toHaveLength(0);
    expect((await post(url, envelopeOf('ok', 3))).status).toBe(200);
    expect(sink.calls.map((c) => c.events.length)).toEqual([3]);
  });

  it('defaults to 1000 events per request', async () => {
    const sink = fakeSink();
    const { url } = await serveIngest({ sink, maxBodyBytes: 4 * 1024 * 1024 });
    expect((await post(url, envelopeOf('max', 1000))).status).toBe(200);
    expect((await post(url, envelopeOf('over', 1001))).status).toBe(413);
  });
});
