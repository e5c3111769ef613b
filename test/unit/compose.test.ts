import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

const ROOT = path.join(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
  deploy?: { replicas?: number };
}

/** The compose file with YAML merge keys (`<<: *regnotify`) resolved, as compose does. */
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

function service(name: string): Service {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

const CONFIG_IN_CONTAINER = '/etc/regnotify/regnotify.yml';

describe('docker-compose.yml', () => {
  it('defines redis, ingest and worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      expect.arrayContaining(['ingest', 'redis', 'worker']),
    );
  });

  it('runs Redis with AOF and noeviction on a named volume', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7/);
    const cmd = (redis.command ?? []).join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--appendfsync everysec');
    expect(cmd).toContain('--maxmemory-policy noeviction');
    expect(cmd).toContain('--hash-max-listpack-value 2048');
    const dataVolume = (redis.volumes ?? []).find((v) => v.endsWith(':/data'));
    expect(dataVolume).toBeDefined();
    const volumeName = dataVolume?.split(':')[0] ?? '';
    expect(Object.keys(compose.volumes ?? {})).toContain(volumeName);
  });

  it("runs the CLI's ingest and work commands with the mounted config", () => {
    expect(service('ingest').command).toEqual(['ingest', '--config', CONFIG_IN_CONTAINER]);
    expect(service('worker').command).toEqual(['work', '--config', CONFIG_IN_CONTAINER]);
    for (const name of ['ingest', 'worker']) {
      const s = service(name);
      expect(s.build).toBeDefined();
      expect(s.volumes).toContain(`./deploy/regnotify.yml:${CONFIG_IN_CONTAINER}:ro`);
      expect(s.environment?.['REGNOTIFY_REDIS_URL']).toBe('redis://redis:6379');
    }
    expect(service('ingest').environment?.['REGNOTIFY_INGEST_ADDR']).toBe('0.0.0.0:5050');
    expect(service('ingest').ports).toContain('5050:5050');
    expect(service('worker').environment?.['REGNOTIFY_METRICS_ADDR']).toBe('0.0.0.0:9090');
  });

  it('runs at least two workers and publishes no host port for them', () => {
    expect(service('worker').deploy?.replicas ?? 1).toBeGreaterThanOrEqual(2);
    expect(service('worker').ports).toBeUndefined();
  });

  it('gives every service a healthcheck, each on the right port', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test?.length ?? 0, name).toBeGreaterThan(0);
    }
    expect(service('redis').healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(service('ingest').healthcheck?.test?.join(' ')).toContain('127.0.0.1:5050/healthz');
    expect(service('worker').healthcheck?.test?.join(' ')).toContain('127.0.0.1:9090/healthz');
  });

  it('starts ingest and workers only once Redis is healthy', () => {
    for (const name of ['ingest', 'worker']) {
      expect(service(name).depends_on?.['redis']?.condition).toBe('service_healthy');
    }
  });

  // `docker compose` (the plugin) or, without it, docker-compose 1.29 (Debian's package, which
  // scripts/install-test-deps.sh installs): `config` parses and checks the file, no engine needed.
  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;
  const [bin, ...pre] = plugin ? ['docker', 'compose'] : ['docker-compose'];
  it(`passes \`${[bin, ...pre].join(' ')} config -q\``, () => {
    const run = spawnSync(bin!, [...pre, '-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (run.error) {
      throw new Error(
        `${bin}: ${run.error.message} — install docker-compose (scripts/install-test-deps.sh does)`,
      );
    }
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('deploy/regnotify.yml', () => {
  it('is a valid config for both roles, with the environment compose sets', () => {
    const file = path.join(ROOT, 'deploy/regnotify.yml');
    for (const name of ['ingest', 'worker']) {
      const env = service(name).environment ?? {};
      const { config, warnings } = loadConfig({ file, env });
      expect(warnings).toEqual([]);
      expect(config.redis.url).toBe('redis://redis:6379');
      expect(config.notifications.endpoints.length).toBeGreaterThan(0);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n');

  it('is multi-stage on a Node LTS slim image', () => {
    expect(lines.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    const version = /^ARG NODE_VERSION=(\d+)/m.exec(dockerfile)?.[1];
    expect(Number(version) % 2).toBe(0); // even majors are the LTS lines
    expect(Number(version)).toBeGreaterThanOrEqual(22);
    expect(dockerfile).toContain('-bookworm-slim');
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toContain('npm run build');
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('runs as a non-root USER, the last one set', () => {
    const users = lines.filter((l) => l.startsWith('USER ')).map((l) => l.slice(5).trim());
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('has a HEALTHCHECK on /healthz that needs no curl, and the CLI entrypoint', () => {
    const healthcheck = dockerfile.slice(dockerfile.indexOf('HEALTHCHECK'));
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(healthcheck).toContain('"node"');
    expect(healthcheck).toContain('http://127.0.0.1:5050/healthz');
    const instructions = lines.filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(instructions).not.toMatch(/\b(curl|wget)\b/);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/workers/regnotify.js"]');
    expect(dockerfile).toContain('CMD ["start"]');
  });

  it('keeps node_modules, dist and secrets out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', 'var', '.env']) {
      expect(ignored).toContain(entry);
    }
  });
});
