import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { knownRedisSettings, redisSettings, usesEmbeddedRedis } from '../../src/redis-settings.js';

function config(redis: Record<string, unknown>) {
  return loadConfig({ env: {}, overrides: { redis } }).config;
}

describe('redisSettings', () => {
  it('carries the password and both timeouts, for the app and the commands alike', () => {
    const c = config({
      url: 'redis://127.0.0.1:7000',
      password: 'pw',
      commandTimeoutMs: 1234,
      connectTimeoutMs: 567,
    });
    const expected = {
      url: 'redis://127.0.0.1:7000',
      cluster: { nodes: [] },
      sentinel: c.redis.sentinel,
      password: 'pw',
      commandTimeoutMs: 1234,
      connectTimeoutMs: 567,
    };
    expect(redisSettings(c)).toEqual(expected);
    expect(knownRedisSettings(c)).toEqual(expected);
    expect(redisSettings(c, 'redis://127.0.0.1:7001')).toEqual({
      ...expected,
      url: 'redis://127.0.0.1:7001',
    });
  });

  it('leaves an empty password out', () => {
    expect(redisSettings(config({ url: 'redis://127.0.0.1:7000' }))).not.toHaveProperty('password');
  });
});

describe('usesEmbeddedRedis and knownRedisSettings', () => {
  it('with no Redis configured: the embedded one, found on its fixed port', () => {
    const c = config({ embedded: { port: 6391 }, commandTimeoutMs: 99 });
    expect(usesEmbeddedRedis(c)).toBe(true);
    expect(knownRedisSettings(c)).toMatchObject({
      url: 'redis://127.0.0.1:6391',
      commandTimeoutMs: 99,
    });
  });

  it('with the embedded port left to chance, nowhere known', () => {
    expect(knownRedisSettings(config({ embedded: { port: 0 } }))).toBeUndefined();
  });

  it('a cluster or sentinels count as a configured Redis', () => {
    const cluster = config({ cluster: { nodes: ['127.0.0.1:7000'] } });
    expect(usesEmbeddedRedis(cluster)).toBe(false);
    expect(knownRedisSettings(cluster)).toMatchObject({
      url: '',
      cluster: { nodes: ['127.0.0.1:7000'] },
    });
    const sentinel = config({ sentinel: { name: 'm', sentinels: ['127.0.0.1:26379'] } });
    expect(usesEmbeddedRedis(sentinel)).toBe(false);
  });
});
