/**
 * Which endpoint URLs reach the process's own ingest (the start-up loop warning,
 * src/app-warnings.ts), beyond the one case test/integration/cli-warnings.test.ts runs.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isOwnIngest } from '../../src/app-warnings.js';

const at = (addr: string, port = 5050) => ({ addr, port, path: '/events', url: '' });

describe('isOwnIngest', () => {
  it.each([
    ['http://127.0.0.1:5050/events', '127.0.0.1:5050'],
    ['http://localhost:5050/events?x=1', '127.0.0.1:5050'],
    ['http://[::1]:5050/events', 'localhost:5050'],
    ['http://127.0.0.1:5050/events', ':5050'],
    [`http://${hostname()}:5050/events`, '0.0.0.0:5050'],
    ['http://10.1.2.3:5050/events', '10.1.2.3:5050'],
  ])('%s reaches an ingest on %s', (url, addr) => {
    expect(isOwnIngest(url, at(addr))).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:5050/hook', '127.0.0.1:5050'], // another path: a 404, not a loop
    ['http://127.0.0.1:5051/events', '127.0.0.1:5050'],
    ['https://127.0.0.1:5050/events', '127.0.0.1:5050'], // the ingest speaks plain HTTP
    ['http://127.0.0.1:5050/events', '10.1.2.3:5050'], // bound elsewhere
    ['http://hooks.example:5050/events', '127.0.0.1:5050'],
    ['not a url', '127.0.0.1:5050'],
  ])('%s does not reach an ingest on %s', (url, addr) => {
    expect(isOwnIngest(url, at(addr))).toBe(false);
  });

  it('the default port of http is 80', () => {
    expect(isOwnIngest('http://localhost/events', at('127.0.0.1:80', 80))).toBe(true);
  });
});
