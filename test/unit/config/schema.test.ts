import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { configSchemaDoc, configSchemaRows } from '../../../src/config/schema-doc.js';
import { redactedConfig, secretValues } from '../../../src/config/secrets.js';
import { ENDPOINT_KEYS } from '../../../src/config/registry/keys.js';
import { schemaLeaves } from '../../../src/config/schema.js';
import { FORMATS } from '../../../src/config/formats.js';
import { isMap } from '../../../src/config/raw.js';
import { parseGoYaml } from '../../../src/config/registry/yaml.js';

const EXAMPLE = join(import.meta.dirname, '../../../examples/regnotify.yml');

function has(tree: unknown, path: string): boolean {
  let node = tree;
  for (const part of path.split('.')) {
    if (!isMap(node) || !(part in node)) return false;
    node = node[part];
  }
  return true;
}

describe('the schema is the documentation', () => {
  it('every own key has doc, a known format, a default and REGNOTIFY_ + its upper-cased path', () => {
    for (const [path, leaf] of schemaLeaves()) {
      expect(leaf.doc.length, path).toBeGreaterThan(10);
      expect(leaf.env, path).toBe(`REGNOTIFY_${path.toUpperCase().replaceAll('.', '_')}`);
      if (typeof leaf.format === 'string') expect(FORMATS[leaf.format], path).toBeDefined();
      expect(
        () =>
          typeof leaf.format === 'string'
            ? FORMATS[leaf.format]?.validate(leaf.default)
            : undefined,
        path,
      ).not.toThrow();
    }
  });

  it('configSchemaDoc lists every key with its variable', () => {
    const doc = configSchemaDoc();
    expect(doc.split('\n')[0]).toBe('| key | env | default | doc |');
    for (const [path, leaf] of schemaLeaves())
      expect(doc).toContain(`| \`${path}\` | \`${leaf.env}\` |`);
    for (const k of ENDPOINT_KEYS) {
      expect(doc).toContain(
        `| \`notifications.endpoints[].${k.key}\` | \`REGISTRY_NOTIFICATIONS_ENDPOINTS_<n>_${k.field}\` |`,
      );
    }
    expect(doc).toContain(
      '`notifications.events.includereferences` | `REGISTRY_NOTIFICATIONS_EVENTCONFIG_INCLUDEREFERENCES`',
    );
    expect(configSchemaRows()).toHaveLength(schemaLeaves().length + ENDPOINT_KEYS.length + 1);
  });
});

describe('examples/regnotify.yml', () => {
  const tree = parseGoYaml(readFileSync(EXAMPLE, 'utf8'));

  it('loads without errors or warnings', () => {
    const { config, warnings } = loadConfig({ file: EXAMPLE, env: {} });
    expect(warnings).toEqual([]);
    expect(config.notifications.endpoints.map((e) => [e.name, e.disabled])).toEqual([
      ['audit', false],
      ['search-indexer', false],
      ['legacy', true],
    ]);
    expect(config.notifications.endpoints[1]).toMatchObject({
      maxBatch: 100,
      concurrency: 4,
      maxAgeMs: 86_400_000,
    });
  });

  it('mentions every schema key', () => {
    for (const [path] of schemaLeaves()) expect(has(tree, path), path).toBe(true);
    const first =
      isMap(tree) && isMap(tree['notifications'])
        ? (tree['notifications']['endpoints'] as unknown[])[0]
        : undefined;
    for (const k of ENDPOINT_KEYS) expect(has(first, k.key), k.key).toBe(true);
    expect(has(tree, 'notifications.events.includereferences')).toBe(true);
  });

  it('shows the defaults of regnotify keys', () => {
    const { config } = loadConfig({ file: EXAMPLE, env: {} });
    const defaults = loadConfig({ env: {} }).config;
    expect({ ...config, notifications: undefined }).toEqual({
      ...defaults,
      notifications: undefined,
    });
  });
});

describe('secrets', () => {
  const { config } = loadConfig({
    env: {
      REGNOTIFY_REDIS_URL: 'redis://user:p%40ss@redis:6379/0',
      REGNOTIFY_REDIS_PASSWORD: 'redispw',
      REGNOTIFY_INGEST_AUTH_TOKEN: 'ingest-token',
      REGNOTIFY_INGEST_AUTH_USERNAME: 'reg',
      REGNOTIFY_INGEST_AUTH_PASSWORD: 'basicpw',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://a',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS:
        '{Authorization: [Bearer s3cret], X-Api-Key: [k1, k2]}',
    },
  });

  it('secretValues lists passwords, tokens, the URL password and every header value', () => {
    expect(new Set(secretValues(config))).toEqual(
      new Set([
        'p@ss',
        'redispw',
        'ingest-token',
        'basicpw',
        'Bearer s3cret',
        's3cret',
        'k1',
        'k2',
      ]),
    );
  });

  it('redactedConfig hides all of them and leaves the rest', () => {
    const printed = JSON.stringify(redactedConfig(config));
    for (const s of secretValues(config)) expect(printed).not.toContain(s);
    expect(printed).not.toContain('p%40ss');
    const r = redactedConfig(config);
    expect(r.redis.url).toBe('redis://user:REDACTED@redis:6379/0');
    expect(r.ingest.auth.username).toBe('reg');
    expect(r.notifications.endpoints[0]?.headers['X-Api-Key']).toEqual([
      '[REDACTED]',
      '[REDACTED]',
    ]);
    expect(config.ingest.auth.token).toBe('ingest-token'); // the original is untouched
  });

  it('every key the schema marks sensitive is a secret, and redacted', () => {
    const sensitive = schemaLeaves().filter(([, leaf]) => leaf.sensitive === true);
    expect(sensitive.length).toBeGreaterThan(0);
    const env: Record<string, string> = { REGNOTIFY_INGEST_AUTH_USERNAME: 'reg' };
    for (const [path, leaf] of sensitive) {
      const secret = `s3cret-${path.replaceAll('.', '-')}`;
      env[leaf.env] = leaf.format === 'rn-redis-url' ? `redis://u:${secret}@r:6379` : secret;
    }
    const loaded = loadConfig({ env }).config;
    const printed = JSON.stringify(redactedConfig(loaded));
    for (const [path] of sensitive) {
      const secret = `s3cret-${path.replaceAll('.', '-')}`;
      expect(secretValues(loaded), path).toContain(secret);
      expect(printed, path).not.toContain(secret);
    }
  });
});
