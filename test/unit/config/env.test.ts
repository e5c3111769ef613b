import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'regnotify-env-'));

const FILE = join(dir, 'config.yml');
writeFileSync(
  FILE,
  `redis:
  url: redis://file:6379
  prefix: fromfile
workers:
  prefetch: 8
notifications:
  endpoints:
    - name: a
      url: http://a.example/events
      timeout: 2s
`,
);

describe('REGNOTIFY_* environment', () => {
  it('wins over the file, which wins over the defaults', () => {
    const { config } = loadConfig({
      file: FILE,
      env: { REGNOTIFY_REDIS_URL: 'rediss://env:6380', REGNOTIFY_LOGGING_LEVEL: 'debug' },
    });
    expect(config.redis.url).toBe('rediss://env:6380'); // env > file
    expect(config.redis.prefix).toBe('fromfile'); // file > default
    expect(config.workers.prefetch).toBe(8);
    expect(config.redis.commandTimeoutMs).toBe(5000); // default
    expect(config.logging.level).toBe('debug');
  });

  it('coerces strings strictly: integers, booleans, comma lists', () => {
    const { config } = loadConfig({
      file: FILE,
      env: {
        REGNOTIFY_INGEST_ENABLED: 'false',
        REGNOTIFY_WORKERS_ENABLED: 'no',
        REGNOTIFY_INGEST_MAXBODYBYTES: '2048',
        REGNOTIFY_INGEST_ADDR: ':5050',
        REGNOTIFY_WORKERS_ENDPOINTS: 'a, b',
        REGNOTIFY_REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_1_NAME: 'b',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_1_URL: 'http://b',
      },
    });
    expect(config.ingest.enabled).toBe(false);
    expect(config.workers.enabled).toBe(false);
    expect(config.ingest.maxBodyBytes).toBe(2048);
    expect(config.ingest.addr).toBe(':5050');
    expect(config.workers.endpoints).toEqual(['a', 'b']);
    expect(config.redis.cluster.nodes).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
  });

  it('overrides win over the environment', () => {
    const { config } = loadConfig({
      env: { REGNOTIFY_REDIS_PREFIX: 'env' },
      overrides: {
        redis: { prefix: 'flag' },
        notifications: { endpoints: [{ name: 'o', url: 'http://o' }] },
      },
    });
    expect(config.redis.prefix).toBe('flag');
    expect(config.notifications.endpoints.map((e) => e.name)).toEqual(['o']);
  });

  it('reads nothing from process.env', () => {
    process.env['REGNOTIFY_REDIS_PREFIX'] = 'leak';
    try {
      expect(loadConfig({}).config.redis.prefix).toBe('regnotify');
    } finally {
      delete process.env['REGNOTIFY_REDIS_PREFIX'];
    }
  });
});

describe('REGISTRY_NOTIFICATIONS_* environment (the registry overrides)', () => {
  it('overrides fields of an existing endpoint, values parsed as YAML into the field type', () => {
    const { config } = loadConfig({
      file: FILE,
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://env.example/hook',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT: '1500ms',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '3',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_BACKOFF: '2000000', // YAML integer: nanoseconds
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: '{Authorization: [Bearer t0k], X-Two: [a, b]}',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_IGNOREDMEDIATYPES: '[application/octet-stream]',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_IGNORE_ACTIONS: '[pull, mount]',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_IGNORE_MEDIATYPES: '- a/b',
        REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES: 'true',
      },
    });
    expect(config.notifications.includeReferences).toBe(true);
    expect(config.notifications.endpoints).toHaveLength(1);
    expect(config.notifications.endpoints[0]).toMatchObject({
      name: 'a',
      url: 'http://env.example/hook',
      timeoutMs: 1500,
      threshold: 3,
      backoffMs: 2,
      headers: { Authorization: ['Bearer t0k'], 'X-Two': ['a', 'b'] },
      ignoredMediaTypes: ['application/octet-stream'],
      ignore: { mediaTypes: ['a/b'], actions: ['pull', 'mount'] },
    });
  });

  it('appends an endpoint when the index equals the current length, also past 9', () => {
    const env: Record<string, string> = {};
    for (let i = 1; i <= 11; i++) {
      env[`REGISTRY_NOTIFICATIONS_ENDPOINTS_${i}_NAME`] = `e${i}`;
      env[`REGISTRY_NOTIFICATIONS_ENDPOINTS_${i}_URL`] = `http://e${i}`;
    }
    env['REGISTRY_NOTIFICATIONS_ENDPOINTS_11_DISABLED'] = 'true';
    const { config } = loadConfig({ file: FILE, env });
    const names = config.notifications.endpoints.map((e) => e.name);
    expect(names).toEqual(['a', ...Array.from({ length: 11 }, (_, i) => `e${i + 1}`)]);
    expect(config.notifications.endpoints[11]?.disabled).toBe(true);
  });

  it('builds endpoints from the environment alone', () => {
    const { config } = loadConfig({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'only',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'https://only/x',
      },
    });
    expect(config.notifications.endpoints.map((e) => [e.name, e.url])).toEqual([
      ['only', 'https://only/x'],
    ]);
  });

  it("also takes regnotify's endpoint keys the same way", () => {
    const { config } = loadConfig({
      file: FILE,
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_MAXBATCH: '50',
        REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TAGS_INCLUDE: '[v*]',
      },
    });
    expect(config.notifications.endpoints[0]).toMatchObject({
      maxBatch: 50,
      tags: { include: ['v*'], exclude: [] },
    });
  });

  it('warns about fields the registry does not have, as the registry does', () => {
    const { warnings } = loadConfig({
      file: FILE,
      env: { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_COLOUR: 'red' },
    });
    expect(warnings).toEqual([
      expect.stringMatching(/^REGISTRY_NOTIFICATIONS_ENDPOINTS_0_COLOUR: unknown field COLOUR/),
    ]);
  });

  it('ignores the rest of the registry environment', () => {
    const { warnings } = loadConfig({
      file: FILE,
      env: { REGISTRY_HTTP_ADDR: ':5000', REGISTRY_REDIS_ADDR: 'x:1' },
    });
    expect(warnings).toEqual([]);
  });
});

describe('REGISTRY_NOTIFICATIONS_* sub-fields of a value', () => {
  it('warns and ignores HEADERS_<NAME>: headers are set as a whole YAML map', () => {
    const { config, warnings } = loadConfig({
      file: FILE,
      env: { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION: '[Bearer x]' },
    });
    expect(config.notifications.endpoints[0]?.headers).toEqual({});
    expect(warnings).toEqual([
      expect.stringMatching(
        /^REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS_AUTHORIZATION: .* set as a whole/,
      ),
    ]);
  });
});
