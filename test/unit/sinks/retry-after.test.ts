/**
 * Retry-After on 429/503 becomes a bounded wait: every form a receiver (or a broken proxy) may
 * send gives either no wait (unreadable) or one from 0 to the endpoint's `retryaftermax`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryEndpoint } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { HttpSink } from '../../../src/sinks/http.js';
import { DefaultRetryAfterMaxMs, retryAfterMs } from '../../../src/sinks/http-response.js';
import { startGoTestServer } from './go-test-server.js';
import type { GoTestServer } from './go-test-server.js';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0); // Sun, 15 Jun 2025 12:00:00 GMT
const MIN5 = 5 * 60 * 1000;

describe('retryAfterMs', () => {
  it.each([
    ['5', 5000],
    [' 2 ', 2000],
    ['0', 0],
    ['007', 7000],
    ['300', MIN5],
    ['301', MIN5],
    ['99999999999', MIN5],
    ['9'.repeat(400), MIN5], // Number() gives Infinity: still capped
    ['Sun, 15 Jun 2025 12:00:30 GMT', 30_000], // IMF-fixdate
    ['Sunday, 15-Jun-25 12:01:00 GMT', 60_000], // RFC 850, two-digit year
    ['Sun Jun 15 12:00:10 2025', 10_000], // asctime
    ['Sun Jun  5 12:00:10 2025', 0], // asctime, space-padded day, in the past
    ['Sun, 15 Jun 2025 11:00:00 GMT', 0], // in the past
    ['Fri, 31 Dec 9999 23:59:59 GMT', MIN5], // far ahead: capped
    ['Tuesday, 15-Jun-99 12:00:00 GMT', 0], // '99 is 1999 (more than 50 years ahead otherwise)
  ])('%j → %d ms', (value, ms) => {
    expect(retryAfterMs(value, NOW)).toBe(ms);
  });

  it.each([
    [undefined],
    [''],
    ['-5'], // Date.parse reads this as the year 2001
    ['1.5'],
    ['+5'],
    ['5s'],
    ['soon'],
    ['Dec 2099'], // Date.parse reads this as a date
    ['5, 10'],
    ['Sun, 15 Jun 2025 12:00:30 gmt'],
    ['Sun, 15 Jun 2025 12:00:30 +0000'],
    ['Sun, 31 Feb 2025 12:00:30 GMT'],
    ['Sun, 15 Jun 2025 24:00:00 GMT'],
    ['Xyz, 15 Jun 2025 12:00:30 GMT'],
    ['2025-06-15T12:00:30Z'],
  ])('%j is not a Retry-After: no wait', (value) => {
    expect(retryAfterMs(value, NOW)).toBeUndefined();
  });

  it('takes the first of several values, and a cap given by the caller', () => {
    expect(retryAfterMs(['3', '9'], NOW)).toBe(3000);
    expect(retryAfterMs('99999999999', NOW, 2000)).toBe(2000);
    expect(retryAfterMs('Fri, 31 Dec 9999 23:59:59 GMT', NOW, 2000)).toBe(2000);
    expect(DefaultRetryAfterMaxMs).toBe(MIN5);
  });

  it('is undefined or a whole number of ms from 0 to the cap, whatever the header (property, seeded)', () => {
    const header = fc.oneof(
      fc.string(),
      fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      fc.date({ noInvalidDate: true }).map((d) => d.toString()),
    );
    fc.assert(
      fc.property(header, fc.integer({ min: 0, max: 86_400_000 }), (value, cap) => {
        const ms = retryAfterMs(value, NOW, cap);
        if (ms === undefined) return;
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(cap);
      }),
      { seed: 3, numRuns: 2000 },
    );
  });
});

describe('HttpSink: the cap reaches the PostResult', () => {
  let server: GoTestServer;
  beforeAll(async () => {
    server = await startGoTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('cuts Retry-After: 99999999999 to the default 5 min, or to retryAfterMaxMs', async () => {
    const url = `${server.url}/?status=429&retryAfter=99999999999`;
    const body = '{"events":[]}';
    for (const [options, ms] of [
      [{}, MIN5],
      [{ retryAfterMaxMs: 2000 }, 2000],
    ] as const) {
      const sink = new HttpSink(url, options);
      expect(await sink.post(body)).toMatchObject({ ok: false, status: 429, retryAfterMs: ms });
      await sink.close();
    }
  });
});

describe('endpoint key retryaftermax', () => {
  const endpoint = (extra: Record<string, string>) =>
    loadConfig({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a',
        ...extra,
      },
    }).config.notifications.endpoints[0]!;

  it('defaults to 5m and reaches the HTTP sink options', () => {
    const ep = endpoint({});
    expect(ep.retryAfterMaxMs).toBe(MIN5);
    expect(deliveryEndpoint(ep, 1).http.retryAfterMaxMs).toBe(MIN5);
  });

  it('reads a Go duration', () => {
    const ep = endpoint({ REGISTRY_NOTIFICATIONS_ENDPOINTS_0_RETRYAFTERMAX: '1m30s' });
    expect(ep.retryAfterMaxMs).toBe(90_000);
    expect(deliveryEndpoint(ep, 1).http.retryAfterMaxMs).toBe(90_000);
  });

  it.each([['0'], ['-1s'], ['25h'], ['500us'], ['soon']])('refuses %j, naming the key', (value) => {
    const load = () => endpoint({ REGISTRY_NOTIFICATIONS_ENDPOINTS_0_RETRYAFTERMAX: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/retryaftermax/i);
  });
});
