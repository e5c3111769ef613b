import { Writable } from 'node:stream';
import { pino } from 'pino';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { parseListenAddress, startHttpServer } from '../../../src/http/server.js';
import type { HttpHandler } from '../../../src/http/server.js';
import { createLogger } from '../../../src/log.js';
import { headerOf, jsonOf, rawConnect, statusOf } from './raw-http.js';

const silent = pino({ level: 'silent' });

describe('http server', () => {
  it('parses listen addresses', () => {
    expect(parseListenAddress(':5050')).toEqual({ host: undefined, port: 5050 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseListenAddress('nohost')).toThrow(/expected host:port/);
  });

  it('runs handlers in order, 404 when none claims, 500 when one throws; close() with idle keep-alive', async () => {
    const server = await startHttpServer({
      addr: '127.0.0.1:0',
      logger: silent,
      handlers: [
        async (req) => {
          if (req.url === '/boom') throw new Error('boom');
          return false;
        },
        async (req, res) => {
          if (req.url !== '/a') return false;
          res.end('A');
          return true;
        },
      ],
    });
    expect(server.port).toBeGreaterThan(0);
    const a = await request(`${server.url}/a`);
    expect(await a.body.text()).toBe('A');
    const missing = await request(`${server.url}/zzz`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
    const boom = await request(`${server.url}/boom`);
    expect(boom.statusCode).toBe(500);
    expect(await boom.body.json()).toEqual({
      error: { code: 'ERR_INTERNAL', message: 'internal error' },
    });
    // The undici pool holds idle keep-alive sockets: close() must not wait for them.
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('http server: slow and malformed clients', () => {
  it('answers 408 to a client that sends half a request line, at headersTimeoutMs (not before, not 30 s later)', async () => {
    const server = await startHttpServer({
      addr: '127.0.0.1:0',
      logger: silent,
      handlers: [],
      headersTimeoutMs: 1500,
      requestTimeoutMs: 5000,
    });
    try {
      const conn = await rawConnect(server.port);
      await conn.write('POST /eve');
      const reply = await conn.reply(20_000);
      expect(statusOf(reply.text)).toBe(408);
      expect(headerOf(reply.text, 'connection')).toBe('close');
      expect(jsonOf(reply.text)).toEqual({
        error: { code: 'ERR_REQUEST_TIMEOUT', message: expect.stringContaining('1500 ms') },
      });
      expect(reply.firstByteMs).toBeGreaterThanOrEqual(1500);
      // Node checks its timeouts on an interval; the answer must still come near the bound.
      expect(reply.firstByteMs).toBeLessThan(1500 + 5000);
    } finally {
      await server.close();
    }
  });

  it('answers 408 when the body does not arrive within requestTimeoutMs', async () => {
    const handler: HttpHandler = async (req, res) => {
      for await (const chunk of req) void chunk; // read the body as it comes
      res.end('done');
      return true;
    };
    const server = await startHttpServer({
      addr: '127.0.0.1:0',
      logger: silent,
      handlers: [handler],
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    });
    try {
      const conn = await rawConnect(server.port);
      await conn.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf');
      const reply = await conn.reply(20_000);
      expect(statusOf(reply.text)).toBe(408);
      expect(reply.firstByteMs).toBeGreaterThanOrEqual(2000);
      expect(reply.firstByteMs).toBeLessThan(2000 + 5000);
    } finally {
      await server.close();
    }
  });

  it('answers 400 with a JSON error to a malformed request', async () => {
    const server = await startHttpServer({ addr: '127.0.0.1:0', logger: silent, handlers: [] });
    try {
      const conn = await rawConnect(server.port);
      await conn.write('GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      const reply = await conn.reply();
      expect(statusOf(reply.text)).toBe(400);
      expect(jsonOf(reply.text)).toEqual({
        error: { code: 'ERR_BAD_REQUEST', message: expect.any(String) },
      });
    } finally {
      await server.close();
    }
  });

  it('never logs the raw bytes of a malformed request (they carry the Authorization header), at debug level', async () => {
    const token = 'tok-5c1e77a0d3';
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    // Secrets registered with the scrubber, as app.ts does: only the raw bytes can leak it.
    const logger = createLogger({ level: 'debug', secrets: [token], destination });
    const server = await startHttpServer({ addr: '127.0.0.1:0', logger, handlers: [] });
    try {
      const conn = await rawConnect(server.port);
      await conn.write(
        `POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nBad Header\r\n\r\n`,
      );
      expect(statusOf((await conn.reply()).text)).toBe(400);
    } finally {
      await server.close();
    }
    const log = lines.join('');
    expect(log).toContain('http client error'); // the event is logged…
    const bytes = [...Buffer.from(token)];
    const forms = [
      token,
      bytes.join(','), // a Buffer serialised as an array of numbers
      bytes.join(', '),
      Buffer.from(token).toString('base64'),
      Buffer.from(token).toString('hex'),
      Buffer.from(`Bearer ${token}`).toString('base64'),
    ];
    for (const form of forms) expect(log, form).not.toContain(form); // …without the token
    expect(log).not.toContain('rawPacket');
  });
});
