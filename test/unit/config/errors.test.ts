import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import { redactedConfig, secretValues } from '../../../src/config/secrets.js';
import type { LoadOptions } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'regnotify-cfgerr-'));
let n = 0;

function file(text: string): string {
  const path = join(dir, `c${n++}.yml`);
  writeFileSync(path, text);
  return path;
}

/** The message of the ConfigError thrown by loadConfig(options). */
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

const endpoints = (...items: string[]): string =>
  `notifications:\n  endpoints:\n${items.map((i) => `    - ${i}\n`).join('')}`;

describe('errors name the key at fault', () => {
  it.each([
    [
      'bad duration',
      endpoints('{name: a, url: "http://a", timeout: 1x}'),
      'notifications.endpoints[0].timeout: invalid duration "1x"',
    ],
    [
      'unit-less duration string',
      endpoints('{name: a, url: "http://a", backoff: "1000"}'),
      'notifications.endpoints[0].backoff: invalid duration "1000": missing unit',
    ],
    [
      'fractional ns',
      endpoints('{name: a, url: "http://a", timeout: 1.5}'),
      'notifications.endpoints[0].timeout: invalid duration 1.5',
    ],
    [
      'duplicate name',
      endpoints('{name: a, url: "http://a"}', '{name: a, url: "http://b"}'),
      'notifications.endpoints[1].name: duplicate endpoint name "a"',
    ],
    ['missing name', endpoints('{url: "http://a"}'), 'notifications.endpoints[0].name: required'],
    [
      'bad name',
      endpoints('{name: "a b", url: "http://a"}'),
      'notifications.endpoints[0].name: must match',
    ],
    [
      'relative url',
      endpoints('{name: a, url: "/events"}'),
      'notifications.endpoints[0].url: must be an absolute http:// or https:// URL',
    ],
    [
      'ftp url',
      endpoints('{name: a, url: "ftp://a/x"}'),
      'notifications.endpoints[0].url: must be an absolute',
    ],
    [
      'scalar header',
      endpoints('{name: a, url: "http://a", headers: {Authorization: Bearer x}}'),
      'notifications.endpoints[0].headers.Authorization: header values must be a list',
    ],
    [
      'unknown action',
      endpoints('{name: a, url: "http://a", ignore: {actions: [pull, fetch]}}'),
      'notifications.endpoints[0].ignore.actions[1]: unknown action "fetch"',
    ],
    [
      'threshold not int',
      endpoints('{name: a, url: "http://a", threshold: lots}'),
      'notifications.endpoints[0].threshold: not an integer',
    ],
    [
      'concurrency without parallel',
      endpoints('{name: a, url: "http://a", concurrency: 4}'),
      'notifications.endpoints[0].concurrency: must be 1 unless ordering is parallel',
    ],
    [
      'maxbatch too big',
      endpoints('{name: a, url: "http://a", maxbatch: 1001}'),
      'notifications.endpoints[0].maxbatch: must be from 1 to 1000',
    ],
    [
      'maxbatch zero',
      endpoints('{name: a, url: "http://a", maxbatch: 0}'),
      'notifications.endpoints[0].maxbatch: must be from 1 to 1000',
    ],
    [
      'bad ordering',
      endpoints('{name: a, url: "http://a", ordering: random}'),
      'notifications.endpoints[0].ordering: must be strict, parallel or repository',
    ],
    [
      'bad mediatype',
      endpoints('{name: a, url: "http://a", mediatype: application/json}'),
      'notifications.endpoints[0].mediatype: must be',
    ],
    [
      'negative maxage',
      endpoints('{name: a, url: "http://a", maxage: -1s}'),
      'notifications.endpoints[0].maxage: must not be negative',
    ],
    [
      'unknown endpoint key',
      endpoints('{name: a, url: "http://a", maxbatches: 3}'),
      'notifications.endpoints[0].maxbatches: unknown key',
    ],
    [
      'case-typo endpoint key',
      endpoints('{name: a, url: "http://a", maxBatch: 3}'),
      'notifications.endpoints[0].maxBatch: unknown key (did you mean "maxbatch"?)',
    ],
    [
      'unknown tls key',
      endpoints('{name: a, url: "http://a", tls: {cafile: x}}'),
      'notifications.endpoints[0].tls.cafile: unknown key',
    ],
    [
      'unreadable tls file',
      endpoints('{name: a, url: "https://a", tls: {ca: /nonexistent/ca.pem}}'),
      'notifications.endpoints[0].tls.ca: cannot read "/nonexistent/ca.pem"',
    ],
    [
      'endpoints not a list',
      'notifications:\n  endpoints: {name: a}\n',
      'notifications.endpoints: must be a list',
    ],
    ['unknown key in redis', 'redis:\n  uri: redis://x\n', 'redis.uri: unknown key'],
    [
      'case-typo in workers',
      'workers:\n  lockdurationms: 10\n',
      'workers.lockdurationms: unknown key (did you mean "lockDurationMs"?)',
    ],
    [
      'bad redis url',
      'redis:\n  url: http://x:6379\n',
      'redis.url: must be a redis:// or rediss:// URL',
    ],
    [
      'wrong type in file',
      'redis:\n  commandTimeoutMs: soon\n',
      'redis.commandTimeoutMs: must be an integer >= 1',
    ],
    [
      'bad log level',
      'logging:\n  level: loud\n',
      'logging.level: must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    ['bad ingest addr', 'ingest:\n  addr: localhost\n', 'ingest.addr: must be host:port or :port'],
    ['section not a map', 'ingest: true\n', 'ingest: must be a map'],
    [
      'sentinel without name',
      'redis:\n  sentinel:\n    sentinels: ["a:26379"]\n',
      'redis.sentinel.name: required',
    ],
    [
      'username without password',
      'ingest:\n  auth:\n    username: reg\n',
      'ingest.auth.password: required',
    ],
    [
      'worker endpoint unknown',
      `workers:\n  endpoints: [b]\n${endpoints('{name: a, url: "http://a"}')}`,
      'workers.endpoints[0]: no endpoint named "b"',
    ],
  ])('%s', (_what, yaml, message) => {
    expect(errorOf({ file: file(yaml), env: {} })).toContain(message);
  });

  it('a YAML syntax error names the file', () => {
    const path = file('notifications: [\n');
    expect(errorOf({ file: path })).toMatch(new RegExp(`^${path}: invalid YAML`));
  });

  it('a missing file names the file', () => {
    expect(errorOf({ file: join(dir, 'absent.yml') })).toContain(
      'absent.yml: cannot read config file',
    );
  });
});

describe('errors in the environment name the variable', () => {
  const base = file(endpoints('{name: a, url: "http://a"}'));

  it.each([
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: 'many' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: not an integer',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT: '1x' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT: invalid duration "1x"',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: '{A: b}' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: header values must be a list',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_2_NAME: 'c' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_2_NAME: index 2 out of range',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_X_NAME: 'c' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_X_NAME: invalid list index "X"',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: '[' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: invalid YAML',
    ],
    [
      { REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES: 'maybe' },
      'REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES: not a boolean',
    ],
    [
      { REGNOTIFY_WORKERS_PREFETCH: '12abc' },
      'REGNOTIFY_WORKERS_PREFETCH: must be an integer from 1 to 1000 (workers.prefetch)',
    ],
    [{ REGNOTIFY_INGEST_ENABLED: 'perhaps' }, 'REGNOTIFY_INGEST_ENABLED: must be a boolean'],
    [
      { REGNOTIFY_REDIS_URL: 'localhost:6379' },
      'REGNOTIFY_REDIS_URL: must be a redis:// or rediss:// URL',
    ],
    [
      { REGNOTIFY_REDIS_EMBEDDED_PORT: '70000' },
      'REGNOTIFY_REDIS_EMBEDDED_PORT: must be a port 0-65535',
    ],
    [{ REGNOTIFY_LOGGING_LEVEL: 'verbose' }, 'REGNOTIFY_LOGGING_LEVEL: must be one of'],
    [
      { REGNOTIFY_REDIS_CLUSTER_NODES: 'a:1,b' },
      'REGNOTIFY_REDIS_CLUSTER_NODES: "b" is not host:port',
    ],
  ])('%j', (env, message) => {
    expect(errorOf({ file: base, env })).toContain(message);
  });
});

describe('ingest bounds and metrics access', () => {
  it.each([
    [
      'in-flight bytes below the body limit',
      'ingest:\n  maxBodyBytes: 2048\n  maxInFlightBytes: 4095\n',
      'ingest.maxInFlightBytes: must be at least twice ingest.maxBodyBytes',
    ],
    [
      'in-flight events below the events per request',
      'ingest:\n  maxInFlightEvents: 1999\n',
      'ingest.maxInFlightEvents: must be at least twice ingest.maxEventsPerRequest',
    ],
    [
      'header deadline past the request deadline',
      'ingest:\n  headersTimeoutMs: 40000\n',
      'ingest.headersTimeoutMs: must not exceed ingest.requestTimeoutMs',
    ],
    ['zero events per request', 'ingest:\n  maxEventsPerRequest: 0\n', 'must be an integer >= 1'],
    ['negative cache', 'metrics:\n  cacheMs: -1\n', 'metrics.cacheMs: must be an integer >= 0'],
  ])('%s', (_what, yaml, message) => {
    expect(errorOf({ file: file(yaml), env: {} })).toContain(message);
  });

  it('reads every new key from its variable, with its default otherwise', () => {
    const { config } = loadConfig({ env: {} });
    expect(config.ingest).toMatchObject({
      maxInFlightBytes: 8388608,
      maxInFlightEvents: 2000,
      maxConcurrentRequests: 64,
      maxEventsPerRequest: 1000,
      headersTimeoutMs: 10000,
      requestTimeoutMs: 30000,
    });
    expect(config.metrics).toMatchObject({ token: '', cacheMs: 1000 });
    const env = {
      REGNOTIFY_INGEST_MAXINFLIGHTBYTES: '2097152',
      REGNOTIFY_INGEST_MAXINFLIGHTEVENTS: '20',
      REGNOTIFY_INGEST_MAXCONCURRENTREQUESTS: '8',
      REGNOTIFY_INGEST_MAXEVENTSPERREQUEST: '10',
      REGNOTIFY_INGEST_HEADERSTIMEOUTMS: '2000',
      REGNOTIFY_INGEST_REQUESTTIMEOUTMS: '4000',
      REGNOTIFY_METRICS_TOKEN: 'm-tok',
      REGNOTIFY_METRICS_CACHEMS: '0',
    };
    const loaded = loadConfig({ env }).config;
    expect(loaded.ingest).toMatchObject({
      maxInFlightBytes: 2097152,
      maxInFlightEvents: 20,
      maxConcurrentRequests: 8,
      maxEventsPerRequest: 10,
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
    });
    expect(loaded.metrics).toMatchObject({ token: 'm-tok', cacheMs: 0 });
    expect(secretValues(loaded)).toContain('m-tok');
    expect(JSON.stringify(redactedConfig(loaded))).not.toContain('m-tok');
  });
});
