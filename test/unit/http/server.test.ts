import { pino } from 'pino';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { parseListenAddress, startHttpServer } from '../../../src/http/server.js';

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
