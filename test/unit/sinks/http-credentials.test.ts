/**
 * An endpoint URL with userinfo, as Go's http.Client treats it (client.go send() and the
 * redirect loop in do()): Basic auth from the userinfo of each hop's own URL, set before the
 * registry's headerRoundTripper appends the configured headers; never in the URL on the wire.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpTransportError } from '../../../src/errors.js';
import { encodeEnvelope } from '../../../src/events/encode.js';
import { HttpSink } from '../../../src/sinks/http.js';
import { testEvent } from '../../helpers/test-sinks.js';
import { startGoTestServer } from './go-test-server.js';
import type { GoTestServer, Seen } from './go-test-server.js';

let server: GoTestServer;
let sinks: HttpSink[];
beforeEach(async () => {
  server = await startGoTestServer();
  sinks = [];
});
afterEach(async () => {
  for (const s of sinks) await s.close();
  await server.close();
});

const body = encodeEnvelope([testEvent('push', 'r', 'blob', 'e')]);
const basic = (credential: string): string =>
  `Basic ${Buffer.from(credential, 'utf8').toString('base64')}`;
/** `http://<userinfo>@127.0.0.1:P<path>` */
const withUserinfo = (userinfo: string, path: string): string =>
  server.url.replace('://', `://${userinfo}@`) + path;

function sink(url: string, headers?: Record<string, string[]>): HttpSink {
  const s = new HttpSink(url, headers ? { headers } : {});
  sinks.push(s);
  return s;
}

/** Values of a header, names compared case-insensitively, in wire order. */
function header(seen: Seen | undefined, name: string): string[] {
  const raw = seen?.rawHeaders ?? [];
  return raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name.toLowerCase());
}

describe('HttpSink: Basic auth from the URL userinfo', () => {
  it('sends Authorization: Basic from the userinfo, and keeps the userinfo off the wire', async () => {
    const s = sink(withUserinfo('alice:s3cret', '/any'));
    await expect(s.post(body)).resolves.toEqual({ ok: true, status: 200 });
    const [req] = server.seen;
    expect(header(req, 'authorization')).toEqual([basic('alice:s3cret')]);
    expect(req?.url).toBe('/any');
    expect(header(req, 'host')).toEqual([new URL(server.url).host]);
    expect(JSON.stringify(req?.rawHeaders)).not.toContain('s3cret');
  });

  it('decodes percent escapes as Go does (`+` stays `+`)', async () => {
    await sink(withUserinfo('us%65r:p%40ss+w%C3%B6rd%3A', '/any')).post(body);
    expect(header(server.seen[0], 'authorization')).toEqual([basic('user:p@ss+wörd:')]);
  });

  it('with a configured Authorization too: the userinfo one first, then the configured ones', async () => {
    // Go checks for Authorization before headerRoundTripper adds the configured headers, so
    // it sends both (the same key; a lower-case configured name is another map key, also sent).
    await sink(withUserinfo('u:p', '/any'), { Authorization: ['Bearer t'] }).post(body);
    await sink(withUserinfo('u:p', '/any'), { authorization: ['Bearer l'] }).post(body);
    expect(header(server.seen[0], 'authorization')).toEqual([basic('u:p'), 'Bearer t']);
    expect(header(server.seen[1], 'authorization')).toEqual([basic('u:p'), 'Bearer l']);
  });

  it('without userinfo: only the configured Authorization', async () => {
    await sink(`${server.url}/any`, { Authorization: ['Bearer t'] }).post(body);
    expect(header(server.seen[0], 'authorization')).toEqual(['Bearer t']);
  });

  it('a user name alone gives `user:`', async () => {
    await sink(withUserinfo('tok3n', '/any')).post(body);
    expect(header(server.seen[0], 'authorization')).toEqual([basic('tok3n:')]);
  });

  it('an escape Go refuses fails the attempt without sending it, and the error hides the password', async () => {
    const result = await sink(withUserinfo('u:pa%zzss', '/any')).post(body);
    expect(result).toMatchObject({ ok: false, status: 0 });
    const error = !result.ok ? result.error : undefined;
    expect(error).toBeInstanceOf(HttpTransportError);
    expect(error?.message).toMatch(/invalid URL escape in userinfo/);
    expect(error?.message).not.toContain('pa%zzss');
    expect(server.seen).toHaveLength(0);
  });
});

describe('HttpSink: userinfo on redirect hops (Go copies no Authorization it did not get)', () => {
  it('a relative Location inherits the userinfo (URL.Parse keeps it): the hop sends it again', async () => {
    await sink(withUserinfo('u:p', '/redirect?code=307&to=/any')).post(body);
    expect(server.seen.map((s) => [s.url, header(s, 'authorization')])).toEqual([
      ['/redirect?code=307&to=/any', [basic('u:p')]],
      ['/any', [basic('u:p')]],
    ]);
  });

  it('an absolute Location without userinfo gets none, even on the same host', async () => {
    const to = encodeURIComponent(`${server.url}/any`);
    await sink(withUserinfo('u:p', `/redirect?code=302&to=${to}`)).post(body);
    expect(server.seen.map((s) => [s.method, header(s, 'authorization')])).toEqual([
      ['POST', [basic('u:p')]],
      ['GET', []],
    ]);
  });

  it('an absolute Location with its own userinfo gets that one, off the wire again', async () => {
    const to = encodeURIComponent(withUserinfo('bob:pw2', '/any'));
    await sink(`${server.url}/redirect?code=308&to=${to}`).post(body);
    expect(server.seen.map((s) => [s.url, header(s, 'authorization')])).toEqual([
      [`/redirect?code=308&to=${to}`, []],
      ['/any', [basic('bob:pw2')]],
    ]);
  });

  it('configured headers still go on every hop, after the hop’s own Basic auth', async () => {
    await sink(withUserinfo('u:p', '/redirect?code=307&to=/any'), {
      Authorization: ['Bearer t'],
    }).post(body);
    for (const s of server.seen) {
      expect(header(s, 'authorization')).toEqual([basic('u:p'), 'Bearer t']);
    }
  });
});
