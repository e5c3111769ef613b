/** The endpoint key `ratelimit`: default, file and environment forms, errors naming the key. */
import { describe, expect, it } from 'vitest';
import { configDocument } from '../../../src/cli/config-file.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

const endpoint = (extra: Record<string, unknown>) => ({
  env: {},
  overrides: { notifications: { endpoints: [{ name: 'a', url: 'http://a', ...extra }] } },
});
const first = (extra: Record<string, unknown>) =>
  loadConfig(endpoint(extra)).config.notifications.endpoints[0]!;

describe('ratelimit', () => {
  it('defaults to no limit (max 0), per 1s', () => {
    expect(first({}).rateLimit).toEqual({ max: 0, perMs: 1000 });
  });

  it('reads the file form, a Go duration for per, and prints it back', () => {
    expect(first({ ratelimit: { max: 50, per: '1m30s' } }).rateLimit).toEqual({
      max: 50,
      perMs: 90_000,
    });
    const { config } = loadConfig(endpoint({ ratelimit: { max: 5, per: '250ms' } }));
    const doc = configDocument(config) as {
      notifications: { endpoints: { ratelimit: unknown }[] };
    };
    expect(doc.notifications.endpoints[0]!.ratelimit).toEqual({ max: 5, per: '250ms' });
  });

  it("reads the registry's environment form", () => {
    const { config } = loadConfig({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_RATELIMIT_MAX: '7',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_RATELIMIT_PER: '2s',
      },
    });
    expect(config.notifications.endpoints[0]!.rateLimit).toEqual({ max: 7, perMs: 2000 });
  });

  it.each([
    [{ max: -1 }, 'notifications.endpoints[0].ratelimit.max', 'must be from 0 to 100000, got -1'],
    [{ max: 100_001 }, 'notifications.endpoints[0].ratelimit.max', 'got 100001'],
    [{ max: 1, per: 0 }, 'notifications.endpoints[0].ratelimit.per', 'must be from 1ms to 24h'],
    [{ max: 1, per: '25h' }, 'notifications.endpoints[0].ratelimit.per', 'got 25h0m0s'],
    [{ max: 1, every: '1s' }, 'notifications.endpoints[0].ratelimit', 'every'],
  ])('refuses %j naming the key', (ratelimit, key, why) => {
    let caught: unknown;
    try {
      first({ ratelimit });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain(key);
    expect((caught as Error).message).toContain(why);
  });
});
