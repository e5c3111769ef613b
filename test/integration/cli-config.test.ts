/**
 * `regnotify config` as users run it (a real CLI process): it prints a file that loads back as a
 * configuration — regnotify's sections with the schema's key names, the registry's
 * `notifications:` section with its lower-case keys and Go durations, the TLS file paths — with
 * every secret hidden and a header comment saying so; `--json` prints the same as JSON.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify } from 'yaml';
import { ENDPOINT_KEYS } from '../../src/config/registry/keys.js';
import { loadConfig } from '../../src/config/load.js';
import { schemaLeaves } from '../../src/config/schema.js';
import { secretValues } from '../../src/config/secrets.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-cli-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function run(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const proc = spawnNode(cli, args, { env });
  await proc.exited;
  return proc;
}

type Doc = Record<string, unknown>;
type Path = (string | number)[];

/**
 * Values for regnotify's own keys that differ from the defaults, and strings a YAML reader
 * could take for something else (`on` is a YAML 1.1 boolean, `0x1F` a number).
 */
const OWN: Record<string, unknown> = {
  'redis.url': 'redis://admin:r3dis-url-pw@redis.example:6380/2',
  'redis.prefix': 'on',
  'redis.commandTimeoutMs': 4000,
  'redis.connectTimeoutMs': 1500,
  'redis.cluster.nodes': [], // cannot be used together with sentinels
  'redis.sentinel.name': 'mymaster',
  'redis.sentinel.sentinels': ['10.0.0.1:26379', 'sentinel.example:26379'],
  'redis.waitReplicas': 1,
  'redis.waitTimeoutMs': 800,
  'redis.writeHeadroomPercent': 20,
  'redis.reserveBytes': 131072,
  'redis.dedupeWindowMs': 600000,
  'redis.dedupeMaxIds': 500,
  'redis.password': 'r3dis-p4ss',
  'redis.embedded.dataDir': '/var/lib/regnotify/redis',
  'redis.embedded.bin': '/usr/bin/redis-server',
  'redis.embedded.port': 6391,
  'ingest.enabled': false,
  'ingest.addr': ':5151',
  'ingest.path': '/hook',
  'ingest.maxBodyBytes': 2048,
  'ingest.maxInFlightBytes': 8192,
  'ingest.maxInFlightEvents': 40,
  'ingest.maxConcurrentRequests': 8,
  'ingest.maxEventsPerRequest': 20,
  'ingest.headersTimeoutMs': 5000,
  'ingest.requestTimeoutMs': 20000,
  'ingest.auth.token': 'ingest-t0ken',
  'ingest.auth.username': 'registry',
  'ingest.auth.password': 'ingest-p4ss',
  'workers.enabled': true,
  'workers.endpoints': ['hooks', 'y', '0x1F'],
  'workers.lockDurationMs': 8000,
  'workers.stalledIntervalMs': 3000,
  'workers.prefetch': 8,
  'metrics.addr': '127.0.0.1:9191',
  'metrics.token': 'metr1cs-t0ken',
  'metrics.cacheMs': 0,
  'logging.level': 'debug',
  'logging.format': 'json',
};

function setAt(doc: Doc, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = doc;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Doc;
  node[keys.at(-1)!] = value;
}

function valueAt(doc: unknown, at: Path): unknown {
  return at.reduce<unknown>(
    (v, key) => (typeof v === 'object' && v !== null ? (v as Doc)[key] : undefined),
    doc,
  );
}

/** A configuration file that sets every key (a new key of the schema gets its default). */
async function everyKey(): Promise<Doc> {
  const pem = async (name: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, `${name} PEM\n`);
    return file;
  };
  const doc: Doc = {};
  for (const [key, leaf] of schemaLeaves()) {
    setAt(doc, key, Object.hasOwn(OWN, key) ? OWN[key] : leaf.default);
  }
  const hooks: Doc = {
    name: 'hooks',
    disabled: false,
    url: 'https://deploy:pa55-w0rd@hooks.example:8443/in?token=t0k3n-value&v=2',
    headers: { Authorization: ['Bearer b3arer-t0ken'], 'X-Api-Key': ['k3y-one', 'k3y-two'] },
    timeout: 1_500_000_000, // nanoseconds, as the registry reads a YAML integer
    threshold: 7,
    backoff: '2m30s',
    ignoredmediatypes: ['application/octet-stream'],
    ignore: { mediatypes: ['application/vnd.oci.image.layer.v1.tar'], actions: ['pull', 'mount'] },
    mediatype: 'application/vnd.docker.distribution.events.v2+json',
    maxbatch: 50,
    ordering: 'parallel',
    concurrency: 4,
    maxretries: 12,
    maxage: '36h',
    ratelimit: { max: 20, per: '1m30s' },
    retryafter: true,
    retryaftermax: '90s',
    tls: {
      ca: await pem('ca'),
      certificate: await pem('cert'),
      key: await pem('key'),
      insecureskipverify: true,
    },
    repositories: { include: ['team/*'], exclude: ['team/tmp-*'] },
    tags: { include: ['v*'], exclude: ['*-rc'] },
    signing: {
      secrets: [
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'whsec_c2Vjb25kLXNlY3JldC1vZi0yNC1ieXRlcw==',
      ],
    },
    format: 'cloudevents',
    source: 'https://registry.example/',
  };
  doc['notifications'] = {
    events: { includereferences: true },
    endpoints: [
      hooks,
      { name: 'y', url: 'http://127.0.0.1:9/events' },
      { name: '0x1F', disabled: true },
    ],
  };
  return doc;
}

/** Every path of `doc` whose string hides a secret. */
function hiddenPaths(doc: unknown, at: Path = []): Path[] {
  if (typeof doc === 'string') return /REDACTED|\*\*\*/.test(doc) ? [at] : [];
  if (Array.isArray(doc)) return doc.flatMap((v, i) => hiddenPaths(v, [...at, i]));
  if (typeof doc === 'object' && doc !== null) {
    return Object.entries(doc).flatMap(([k, v]) => hiddenPaths(v, [...at, k]));
  }
  return [];
}

describe('regnotify config', () => {
  it('prints a file that, with the secrets put back, loads to the same configuration', async () => {
    const source = await everyKey();
    const endpointKeys = ENDPOINT_KEYS.map((k) => k.key.split('.'));
    const hooks = valueAt(source, ['notifications', 'endpoints', 0]);
    expect(endpointKeys.filter((k) => valueAt(hooks, k) === undefined)).toEqual([]);

    const file = path.join(dir, 'every-key.yml');
    // YAML 1.1 quotes what the registry's reader would take for a boolean or a number.
    await writeFile(file, stringify(source, { version: '1.1' }));
    // The environment is part of the effective configuration.
    const env = {
      REGNOTIFY_METRICS_CACHEMS: '250',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_1_THRESHOLD: '3',
    };
    const expected = loadConfig({ file, env }).config;

    const yaml = await run(['config', '--config', file], env);
    expect([await yaml.exited, yaml.stderr]).toEqual([{ code: 0, signal: null }, '']);
    const json = await run(['config', '--config', file, '--json'], env);
    expect((await json.exited).code).toBe(0);
    for (const secret of secretValues(expected)) {
      expect(yaml.stdout).not.toContain(secret);
      expect(json.stdout).not.toContain(secret);
    }
    // --json prints the same document.
    expect(JSON.parse(json.stdout)).toEqual(parse(yaml.stdout));

    // The registry's names and Go durations, regnotify's own names, the PEM files' paths.
    expect(yaml.stdout).toMatch(/^ {6}timeout: 1\.5s$/m);
    expect(yaml.stdout).toMatch(/^ {6}retryaftermax: 1m30s$/m);
    expect(yaml.stdout).toMatch(/^ {6}maxbatch: 50$/m);
    expect(yaml.stdout).toMatch(/^ {2}commandTimeoutMs: 4000$/m);
    expect(yaml.stdout).toContain(`ca: ${path.join(dir, 'ca')}\n`);
    expect(yaml.stdout).not.toMatch(/timeoutMs|maxBatch|PEM/);

    // Secrets put back where the output hides them, from the file they came from.
    const printed = parseDocument(yaml.stdout);
    const hidden = hiddenPaths(printed.toJS());
    expect(hidden.length).toBeGreaterThanOrEqual(11);
    for (const at of hidden) printed.setIn(at, valueAt(source, at));
    const restored = path.join(dir, 'restored.yml');
    await writeFile(restored, printed.toString());
    const reloaded = loadConfig({ file: restored });
    expect(reloaded.warnings).toEqual([]);
    expect(reloaded.config).toEqual(expected);

    const fromJson = JSON.parse(json.stdout) as Doc;
    for (const at of hiddenPaths(fromJson)) {
      const parent = valueAt(fromJson, at.slice(0, -1)) as Doc;
      parent[at.at(-1)!] = valueAt(source, at);
    }
    const restoredJson = path.join(dir, 'restored.json');
    await writeFile(restoredJson, JSON.stringify(fromJson));
    expect(loadConfig({ file: restoredJson }).config).toEqual(expected);
  });

  it('says in a header comment that secrets are hidden (and on stderr with --json)', async () => {
    const file = path.join(dir, 'secret.yml');
    await writeFile(file, 'redis:\n  password: pw-c0nf1g-s3cret\n');
    const yaml = await run(['config', '--config', file]);
    expect(yaml.stdout).toMatch(/^# .*\n(?:# .*\n)*redis:\n/);
    expect(yaml.stdout.split('\nredis:')[0]).toContain('[REDACTED]');
    expect(yaml.stdout).toMatch(/^ {2}password: "\[REDACTED\]"$/m);
    const json = await run(['config', '--config', file, '--json']);
    expect(json.stderr).toContain('[REDACTED]');
    expect(JSON.parse(json.stdout)).toMatchObject({ redis: { password: '[REDACTED]' } });
  });

  it('loads as printed with nothing secret configured', async () => {
    const shown = await run(['config']);
    const file = path.join(dir, 'defaults.yml');
    await writeFile(file, shown.stdout);
    expect(loadConfig({ file })).toMatchObject({ warnings: [], config: loadConfig().config });
  });
});
