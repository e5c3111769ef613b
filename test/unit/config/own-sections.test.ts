/**
 * regnotify's own sections (redis, ingest, workers, metrics, logging): the exact text of every
 * kind of error, so that how they are read can change without an operator noticing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import type { LoadOptions } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'regnotify-own-'));
let n = 0;

function file(text: string, ext = 'yml'): string {
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

function errorOf(options: LoadOptions): string {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG');
    return (err as Error).message;
  }
  throw new Error('loadConfig did not throw');
}

const REDIS_KEYS =
  'url, prefix, commandTimeoutMs, connectTimeoutMs, cluster, sentinel, waitReplicas, waitTimeoutMs, writeHeadroomPercent, reserveBytes, dedupeWindowMs, dedupeMaxIds, password, embedded';

describe('a file value at fault: the key and the problem, exactly', () => {
  it.each([
    ['redis:\n  uri: x\n', `redis.uri: unknown key; known keys: ${REDIS_KEYS}`],
    [
      'workers:\n  lockdurationms: 10\n',
      'workers.lockdurationms: unknown key (did you mean "lockDurationMs"?)',
    ],
    ['redis:\n  cluster:\n    seeds: [a]\n', 'redis.cluster.seeds: unknown key; known keys: nodes'],
    ['redis:\n  foo:\n    bar: 1\n', `redis.foo: unknown key; known keys: ${REDIS_KEYS}`],
    ['redis:\n  __proto__: {x: 1}\n', `redis.__proto__: unknown key; known keys: ${REDIS_KEYS}`],
    ['redis:\n  constructor: 1\n', `redis.constructor: unknown key; known keys: ${REDIS_KEYS}`],
    [
      'redis:\n  constructor: {prototype: 1}\n',
      `redis.constructor: unknown key; known keys: ${REDIS_KEYS}`,
    ],
    ['redis:\n  "a.b": 1\n', `redis.a.b: unknown key; known keys: ${REDIS_KEYS}`],
    ['redis:\n  url: http://x\n  uri: x\n', `redis.uri: unknown key; known keys: ${REDIS_KEYS}`],
    ['ingest: true\n', 'ingest: must be a map (file)'],
    ['ingest: [1]\n', 'ingest: must be a map (file)'],
    ['redis:\n  cluster: 5\n', 'redis.cluster: must be a map, got 5'],
    ['redis:\n  url: {a: 1}\n', 'redis.url: must be a string'],
    ['redis:\n  prefix: 5\n', 'redis.prefix: must be a string'],
    ['ingest:\n  enabled: 1\n', 'ingest.enabled: must be a boolean (true or false)'],
    ['metrics:\n  cacheMs: -1\n', 'metrics.cacheMs: must be an integer >= 0'],
    ['metrics:\n  cacheMs: 1.5\n', 'metrics.cacheMs: must be an integer >= 0'],
    ['redis:\n  commandTimeoutMs: soon\n', 'redis.commandTimeoutMs: must be an integer >= 1'],
    [
      'redis:\n  writeHeadroomPercent: 95\n',
      'redis.writeHeadroomPercent: must be an integer from 0 to 90',
    ],
    ['workers:\n  prefetch: 0\n', 'workers.prefetch: must be an integer from 1 to 1000'],
    ['redis:\n  embedded:\n    port: 70000\n', 'redis.embedded.port: must be a port 0-65535'],
    ['workers:\n  endpoints: [1]\n', 'workers.endpoints: must be a list of strings'],
    ['redis:\n  cluster:\n    nodes: [x]\n', 'redis.cluster.nodes: "x" is not host:port'],
    ['redis:\n  url: http://x\n', 'redis.url: must be a redis:// or rediss:// URL'],
    ['ingest:\n  addr: x\n', 'ingest.addr: must be host:port or :port, got "x"'],
    ['metrics:\n  addr: x\n', `metrics.addr: must be '' or host:port, got "x"`],
    ['ingest:\n  path: events\n', 'ingest.path: must be a path starting with "/", got "events"'],
    [
      'logging:\n  level: loud\n',
      'logging.level: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      'logging:\n  level: 5\n',
      'logging.level: must be one of fatal, error, warn, info, debug, trace, silent, got 5',
    ],
  ])('%j', (yaml, message) => {
    expect(errorOf({ file: file(yaml), env: {} })).toBe(message);
  });

  it('a scalar where a map belongs stays an error when a variable sets a key under it', () => {
    const env = { REGNOTIFY_REDIS_CLUSTER_NODES: 'a:1' };
    expect(errorOf({ file: file('redis:\n  cluster: 5\n'), env })).toBe(
      'redis.cluster: must be a map, got 5',
    );
  });

  it('an unknown key is reported before a bad variable', () => {
    const env = { REGNOTIFY_WORKERS_PREFETCH: 'x' };
    expect(errorOf({ file: file('redis:\n  uri: x\n'), env })).toBe(
      `redis.uri: unknown key; known keys: ${REDIS_KEYS}`,
    );
  });
});

describe('a file value is read as written (convict alone would read strings as variables)', () => {
  it.each([
    ['redis:\n  commandTimeoutMs: "5000"\n', 'redis.commandTimeoutMs: must be an integer >= 1'],
    ['ingest:\n  enabled: "no"\n', 'ingest.enabled: must be a boolean (true or false)'],
    ['workers:\n  endpoints: "a,b"\n', 'workers.endpoints: must be a list of strings'],
    ['workers:\n  endpoints: a\n', 'workers.endpoints: must be a list of strings'],
  ])('%j', (yaml, message) => {
    expect(errorOf({ file: file(yaml), env: {} })).toBe(message);
  });

  it('in a JSON file too', () => {
    const json = file('{"redis": {"commandTimeoutMs": "100"}}', 'json');
    expect(errorOf({ file: json, env: {} })).toBe(
      'redis.commandTimeoutMs: must be an integer >= 1',
    );
  });

  it('a bad file value is an error even where a variable or an override replaces it', () => {
    const bad = file('workers:\n  prefetch: 0\n');
    const message = 'workers.prefetch: must be an integer from 1 to 1000';
    expect(errorOf({ file: bad, env: { REGNOTIFY_WORKERS_PREFETCH: '5' } })).toBe(message);
    expect(errorOf({ file: bad, env: {}, overrides: { workers: { prefetch: 5 } } })).toBe(message);
    const env = { REGNOTIFY_REDIS_URL: 'redis://x' };
    expect(errorOf({ file: file('redis:\n  url: {a: 1}\n'), env })).toBe(
      'redis.url: must be a string',
    );
  });
});

describe('a variable at fault: the variable, the problem and the key, exactly', () => {
  it.each([
    [
      { REGNOTIFY_WORKERS_PREFETCH: '12abc' },
      'REGNOTIFY_WORKERS_PREFETCH: must be an integer from 1 to 1000 (workers.prefetch)',
    ],
    [
      { REGNOTIFY_INGEST_ENABLED: 'perhaps' },
      'REGNOTIFY_INGEST_ENABLED: must be a boolean (true or false) (ingest.enabled)',
    ],
    [
      { REGNOTIFY_REDIS_URL: 'http://u:pw@x' },
      'REGNOTIFY_REDIS_URL: must be a redis:// or rediss:// URL (redis.url)',
    ],
    [
      { REGNOTIFY_REDIS_SENTINEL_SENTINELS: 'a:1, b' },
      'REGNOTIFY_REDIS_SENTINEL_SENTINELS: "b" is not host:port (redis.sentinel.sentinels)',
    ],
    [
      { REGNOTIFY_LOGGING_LEVEL: 'loud' },
      'REGNOTIFY_LOGGING_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud" (logging.level)',
    ],
    [
      { REGNOTIFY_REDIS_WAITREPLICAS: '' },
      'REGNOTIFY_REDIS_WAITREPLICAS: must be an integer >= 0 (redis.waitReplicas)',
    ],
  ])('%j', (env, message) => {
    expect(errorOf({ env })).toBe(message);
  });

  it('a bad variable is at fault even where the file is right', () => {
    const env = { REGNOTIFY_WORKERS_PREFETCH: 'x' };
    expect(errorOf({ file: file('workers:\n  prefetch: 5\n'), env })).toBe(
      'REGNOTIFY_WORKERS_PREFETCH: must be an integer from 1 to 1000 (workers.prefetch)',
    );
  });

  it('an integer may have spaces around it', () => {
    const { config } = loadConfig({ env: { REGNOTIFY_REDIS_WAITREPLICAS: ' 2 ' } });
    expect(config.redis.waitReplicas).toBe(2);
  });
});

describe('overrides', () => {
  it.each([
    [{ workers: { prefetch: 0 } }, 'workers.prefetch: must be an integer from 1 to 1000'],
    [
      { workers: { prefetchh: 1 } },
      'workers.prefetchh: unknown key; known keys: enabled, endpoints, lockDurationMs, stalledIntervalMs, prefetch',
    ],
    [{ redis: 5 }, 'redis: must be a map (overrides)'],
    [{ redis: { url: { a: 1 } } }, 'redis.url: must be a string'],
    [{ redis: { cluster: 5 } }, 'redis.cluster: must be a map, got 5'],
  ])('%j', (overrides, message) => {
    expect(errorOf({ env: {}, overrides })).toBe(message);
  });

  it('an override wins over a bad variable', () => {
    const { config } = loadConfig({
      env: { REGNOTIFY_WORKERS_PREFETCH: 'x' },
      overrides: { workers: { prefetch: 3 } },
    });
    expect(config.workers.prefetch).toBe(3);
  });
});

describe('what is not set', () => {
  it('an empty section or key is not set: the defaults hold', () => {
    const { config, warnings } = loadConfig({ file: file('redis:\ningest:\n  addr:\n'), env: {} });
    expect(config.redis.prefix).toBe('regnotify');
    expect(config.ingest.addr).toBe('127.0.0.1:5050');
    expect(warnings).toEqual([]);
  });
});
