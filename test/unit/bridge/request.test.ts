import { describe, expect, it } from 'vitest';
import type { RequestLike } from '../../../src/bridge/headers.js';
import {
  actorFromRequest,
  remoteAddr,
  requestRecordFromRequest,
} from '../../../src/bridge/request.js';

function req(
  headers: [string, string][],
  socket: RequestLike['socket'] = { remoteAddress: '10.1.2.3', remotePort: 40000 },
): RequestLike {
  return { rawHeaders: headers.flat(), method: 'PUT', url: '/v2/', socket };
}

const basic = (userpass: string): string => `Basic ${Buffer.from(userpass).toString('base64')}`;

describe('remoteAddr (requestutil.RemoteAddr)', () => {
  it('takes the first X-Forwarded-For entry, trimmed, when it is an IP', () => {
    expect(remoteAddr(req([['X-Forwarded-For', ' 192.0.2.7 , 10.0.0.1']]))).toBe('192.0.2.7');
    expect(remoteAddr(req([['x-forwarded-for', '2001:db8::7']]))).toBe('2001:db8::7');
  });

  it('falls back to X-Real-Ip when the first X-Forwarded-For entry is not an IP', () => {
    const r = req([
      ['X-Forwarded-For', 'unknown, 192.0.2.8'],
      ['X-Real-Ip', '198.51.100.9'],
    ]);
    expect(remoteAddr(r)).toBe('198.51.100.9');
  });

  it('uses the first of repeated X-Real-Ip headers, as Go Header.Get does', () => {
    const r = req([
      ['X-Real-Ip', '198.51.100.9'],
      ['X-Real-Ip', '198.51.100.10'],
    ]);
    expect(remoteAddr(r)).toBe('198.51.100.9');
  });

  it('falls back to the socket address, IPv6 in brackets, IPv4-mapped shown as IPv4', () => {
    expect(remoteAddr(req([['X-Real-Ip', 'nope']]))).toBe('10.1.2.3:40000');
    expect(remoteAddr(req([], { remoteAddress: '::1', remotePort: 5 }))).toBe('[::1]:5');
    expect(remoteAddr(req([], { remoteAddress: '::ffff:127.0.0.1', remotePort: 6 }))).toBe(
      '127.0.0.1:6',
    );
    expect(remoteAddr(req([], {}))).toBe('');
  });
});

describe('requestRecordFromRequest', () => {
  it('fills id, addr, host, method and useragent', () => {
    const r = req([
      ['Host', 'reg.example:5000'],
      ['User-Agent', 'docker/27.0'],
    ]);
    expect(requestRecordFromRequest(r, 'rid')).toEqual({
      id: 'rid',
      addr: '10.1.2.3:40000',
      host: 'reg.example:5000',
      method: 'PUT',
      useragent: 'docker/27.0',
    });
  });

  it("gives '' for a missing User-Agent and a fresh UUIDv7 id by default", () => {
    const record = requestRecordFromRequest(req([]));
    expect(record.useragent).toBe('');
    expect(record).not.toHaveProperty('host');
    expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });
});

describe('actorFromRequest', () => {
  it('prefers the authenticated user', () => {
    expect(actorFromRequest(req([['Authorization', basic('bob:pw')]]), 'alice')).toEqual({
      name: 'alice',
    });
  });

  it('takes the Basic-auth username otherwise, whatever the scheme case', () => {
    expect(actorFromRequest(req([['Authorization', basic('bob:pw:x')]]))).toEqual({ name: 'bob' });
    const lower = basic('carol:pw').replace('Basic', 'bAsIc');
    expect(actorFromRequest(req([['Authorization', lower]]))).toEqual({ name: 'carol' });
  });

  it.each([
    ['no header', undefined],
    ['a bearer token', 'Bearer abc'],
    ['no colon', basic('justuser')],
    ['bad base64', 'Basic !!!!'],
    ['an empty user', basic(':pw')],
  ])('gives {} for %s', (_what, header) => {
    const headers: [string, string][] = header === undefined ? [] : [['Authorization', header]];
    expect(actorFromRequest(req(headers))).toEqual({});
  });
});
