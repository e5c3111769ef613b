import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { enabledEndpoints } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'regnotify-config-'));
let n = 0;

/** Write `text` to a fresh file and return its path. */
function file(text: string, ext = 'yml'): string {
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const SUITE_YAML = `
notifications:
  endpoints:
    - name: endpoint-1
      url:  http://example.com
      headers:
        Authorization: [Bearer <example>]
      ignoredmediatypes:
        - application/octet-stream
      ignore:
        mediatypes:
           - application/octet-stream
        actions:
           - pull
`;

describe('loadConfig: the registry test suite (docs/compatibility.md §8.4)', () => {
  it('parses TestConfigSuite YAML to the stated values, Go defaults applied', () => {
    const { config, warnings } = loadConfig({ file: file(SUITE_YAML) });
    expect(warnings).toEqual([]);
    expect(config.notifications.includeReferences).toBe(false);
    expect(config.notifications.endpoints).toHaveLength(1);
    expect(config.notifications.endpoints[0]).toMatchObject({
      name: 'endpoint-1',
      url: 'http://example.com',
      disabled: false,
      headers: { Authorization: ['Bearer <example>'] },
      ignoredMediaTypes: ['application/octet-stream'],
      ignore: { mediaTypes: ['application/octet-stream'], actions: ['pull'] },
      timeoutMs: 1000,
      threshold: 10,
      backoffMs: 1000,
      maxBatch: 1,
      ordering: 'strict',
      concurrency: 1,
      maxRetries: 0,
      maxAgeMs: 0,
      retryAfter: false,
      mediaType: '',
    });
  });

  it('without a notifications section gives no endpoints, and regnotify defaults', () => {
    const { config, source } = loadConfig({ env: {} });
    expect(source).toEqual({});
    expect(config.notifications).toEqual({ includeReferences: false, endpoints: [] });
    expect(config.redis).toMatchObject({ url: '', prefix: 'regnotify', commandTimeoutMs: 5000 });
    expect(config.redis.embedded).toEqual({
      dataDir: './var/redis',
      bin: 'redis-server',
      port: 6390,
    });
    expect(config.ingest).toMatchObject({
      enabled: true,
      addr: '127.0.0.1:5050',
      path: '/events',
      maxBodyBytes: 1048576,
    });
    expect(config.workers).toEqual({
      enabled: true,
      endpoints: [],
      lockDurationMs: 4000,
      stalledIntervalMs: 2000,
      prefetch: 32,
    });
    expect(config.metrics.addr).toBe('');
    expect(config.logging.level).toBe('info');
  });
});

describe('loadConfig: real registry 2.8.2 configs', () => {
  const fixtures = join(import.meta.dirname, '../../fixtures/registry-2.8.2');

  it('registry-anonymous.yml: endpoint with headers, threshold 5, includereferences', () => {
    const path = join(fixtures, 'registry-anonymous.yml');
    const { config, warnings, source } = loadConfig({ file: path, env: {} });
    expect(source.file).toBe(path);
    expect(warnings).toEqual([]); // version/log/storage/http are the registry's, silently
    expect(config.notifications.includeReferences).toBe(true);
    expect(config.notifications.endpoints).toHaveLength(1);
    expect(config.notifications.endpoints[0]).toMatchObject({
      name: 'capture',
      url: 'http://127.0.0.1:5055/events',
      headers: { Authorization: ['Bearer s3cret'] },
      timeoutMs: 1000,
      threshold: 5,
      backoffMs: 1000,
    });
    expect(config.logging.level).toBe('info'); // `log: level: info` is the registry's, not ours
  });

  it('registry-htpasswd.yml: endpoint with ignore.actions [pull]', () => {
    const { config } = loadConfig({ file: join(fixtures, 'registry-htpasswd.yml'), env: {} });
    expect(config.notifications.endpoints[0]).toMatchObject({
      name: 'capture',
      url: 'http://127.0.0.1:5056/events',
      headers: {},
      threshold: 5,
      ignore: { mediaTypes: [], actions: ['pull'] },
    });
  });
});

describe('loadConfig: endpoint values', () => {
  it('reads durations as Go does: integers are nanoseconds, rounded up to whole ms', () => {
    const { config } = loadConfig({
      file: file(`notifications:
  endpoints:
    - {name: a, url: "http://a", timeout: 1000, backoff: 1.5s, maxage: 1h2m}
    - {name: b, url: "http://b", timeout: "300ms", backoff: 0, threshold: -3}
    - {name: c, url: "http://c", timeout: -1s, backoff: 2500000}
`),
    });
    const [a, b, c] = config.notifications.endpoints;
    expect(a).toMatchObject({ timeoutMs: 1, backoffMs: 1500, maxAgeMs: 3_720_000 });
    expect(b).toMatchObject({ timeoutMs: 300, backoffMs: 1000, threshold: 10 });
    expect(c).toMatchObject({ timeoutMs: 1000, backoffMs: 3 });
  });

  it('keeps disabled endpoints, in file order, and enabledEndpoints() drops them', () => {
    const { config } = loadConfig({
      file: file(`notifications:
  endpoints:
    - {name: first, url: "http://a", disabled: true}
    - {name: second, url: "http://b"}
    - {name: third, disabled: yes}
`),
    });
    expect(config.notifications.endpoints.map((e) => [e.name, e.disabled])).toEqual([
      ['first', true],
      ['second', false],
      ['third', true],
    ]);
    expect(enabledEndpoints(config).map((e) => e.name)).toEqual(['second']);
  });

  it("reads regnotify's own endpoint keys", () => {
    const dirOf = mkdtempSync(join(tmpdir(), 'regnotify-pem-'));
    writeFileSync(join(dirOf, 'ca.pem'), 'CA PEM');
    const { config } = loadConfig({
      file: file(`notifications:
  endpoints:
    - name: fast.one_1
      url: https://x.example/hook
      mediatype: application/vnd.docker.distribution.events.v2+json
      maxbatch: 100
      ordering: parallel
      concurrency: 8
      maxretries: 20
      retryafter: true
      tls: {ca: ${join(dirOf, 'ca.pem')}, insecureskipverify: true}
      repositories: {include: ["team/*"], exclude: ["team/tmp-*"]}
      tags: {exclude: ["*-rc"]}
`),
    });
    expect(config.notifications.endpoints[0]).toMatchObject({
      name: 'fast.one_1',
      mediaType: 'application/vnd.docker.distribution.events.v2+json',
      maxBatch: 100,
      ordering: 'parallel',
      concurrency: 8,
      maxRetries: 20,
      retryAfter: true,
      tls: { ca: 'CA PEM', cert: '', key: '', insecureSkipVerify: true },
      repositories: { include: ['team/*'], exclude: ['team/tmp-*'] },
      tags: { include: [], exclude: ['*-rc'] },
    });
  });

  it('reads a JSON file too', () => {
    const { config } = loadConfig({
      file: file(
        JSON.stringify({
          redis: { prefix: 'p' },
          notifications: { endpoints: [{ name: 'j', url: 'http://j' }] },
        }),
        'json',
      ),
    });
    expect(config.redis.prefix).toBe('p');
    expect(config.notifications.endpoints[0]?.name).toBe('j');
  });
});

describe('loadConfig: warnings', () => {
  it('unknown keys inside notifications are warnings, as yaml.v2 ignores them', () => {
    const { config, warnings } = loadConfig({
      file: file(`notifications:
  frobnicate: 1
  events: {includereferences: true, extra: x}
  endpoints: [{name: a, url: "http://a"}]
`),
    });
    expect(config.notifications.includeReferences).toBe(true);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^notifications\.frobnicate: unknown key/);
    expect(warnings[1]).toMatch(/^notifications\.events\.extra: unknown key/);
  });

  it("warns about top-level sections that are neither regnotify's nor the registry's", () => {
    const { warnings } = loadConfig({ file: file('version: 0.1\nworker: {enabled: false}\n') });
    expect(warnings).toEqual([expect.stringMatching(/^worker: unknown top-level section/)]);
  });

  it("ignores a registry's own redis section (its blob cache) with a warning", () => {
    const { config, warnings } = loadConfig({
      file: file('redis:\n  addr: localhost:6379\n  db: 0\n'),
    });
    expect(config.redis.url).toBe('');
    expect(warnings).toEqual([
      expect.stringMatching(/^redis: looks like the registry's own redis section/),
    ]);
  });
});
