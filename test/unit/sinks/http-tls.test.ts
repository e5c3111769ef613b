import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransportError } from '../../../src/errors.js';
import { HttpSink } from '../../../src/sinks/http.js';
import { testEvent } from '../../helpers/test-sinks.js';
import { startGoTestServer } from './go-test-server.js';
import type { GoTestServer } from './go-test-server.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url), 'utf8');
const cert = fixture('cert.pem');
const key = fixture('key.pem');

let server: GoTestServer;
beforeAll(async () => {
  server = await startGoTestServer({ key, cert });
});
afterAll(async () => {
  await server.close();
});

describe('HttpSink over TLS (TestHTTPSink steps 1–2)', () => {
  it('rejects a self-signed certificate by default, naming the certificate problem', async () => {
    const sink = new HttpSink(`${server.url}/`);
    const err = await sink.write(testEvent('push', 'r', 'm')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTransportError);
    expect((err as Error).message).toMatch(/certificate/i);
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('accepts it with insecureSkipVerify', async () => {
    const sink = new HttpSink(`${server.url}/`, { tls: { insecureSkipVerify: true } });
    await expect(sink.write(testEvent('push', 'r', 'm'))).resolves.toBeUndefined();
    await sink.close();
  });

  it('accepts it when given as the CA', async () => {
    const sink = new HttpSink(`${server.url}/`, { tls: { ca: cert } });
    await expect(sink.write(testEvent('push', 'r', 'm'))).resolves.toBeUndefined();
    await sink.close();
  });
});
