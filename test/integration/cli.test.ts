/**
 * The `regnotify` command as users run it (`node dist/workers/regnotify.js …`, needs
 * `npm run build`): the operator commands against a real redis-server, `config`, `--version`,
 * usage errors, the demo receiver, and the other entry points of workers/.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpointKeys } from '../../src/queue/names.js';
import { encodeEnvelope } from '../../src/events/encode.js';
import { useCleanups } from '../helpers/cleanup.js';
import { makeEvent } from '../helpers/delivery.js';
import { reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { freePort, useRedis } from '../helpers/redis-server.js';
import { delay, waitUntil } from '../helpers/wait.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = (name: string) => path.join(root, 'dist', 'workers', `${name}.js`);
const cli = entry('regnotify');
const redis = useRedis();
const cleanup = useCleanups();
let dir: string;
let configs = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

/** A config file on the test's Redis with endpoints `a` and `b`, under a fresh key prefix. */
async function writeConfig(extra = ''): Promise<{ file: string; prefix: string }> {
  const prefix = `cli${++configs}`;
  const file = path.join(dir, `${prefix}.yml`);
  await writeFile(
    file,
    `redis:
  url: ${redis().url}
  prefix: ${prefix}
${extra}notifications:
  endpoints:
    - name: a
      url: http://127.0.0.1:9/a
    - name: b
      url: http://127.0.0.1:9/b
`,
  );
  return { file, prefix };
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const proc = spawnNode(cli, args, { env });
  await proc.exited;
  return proc;
}

describe('operator commands', () => {
  it('stats, pause, resume, dead and replay print what they did', async () => {
    const { file, prefix } = await writeConfig();
    const stats = await run(['stats', '--config', file, '--json']);
    expect(stats.stderr).toBe('');
    expect((await stats.exited).code).toBe(0);
    expect((JSON.parse(stats.stdout) as { name: string }[]).map((s) => s.name)).toEqual(['a', 'b']);
    const table = await run(['stats', '--config', file]);
    expect(table.stdout).toMatch(/^endpoint +pending +events +successes/);
    expect(table.stdout).toMatch(/^b +0 +0 +0 +0 +0 +0 +- +- +ok$/m);

    const pause = await run(['pause', '--config', file, '--endpoint', 'a']);
    expect([(await pause.exited).code, pause.stdout]).toEqual([0, 'a: paused\n']);
    const paused = await run(['stats', '--config', file, '-e', 'a', '--json']);
    expect(JSON.parse(paused.stdout)).toMatchObject([{ name: 'a', paused: true }]);
    const resume = await run(['resume', '--config', file, '-e', 'a']);
    expect([(await resume.exited).code, resume.stdout]).toEqual([0, 'a: resumed\n']);

    // One dead letter, as the delivery worker writes them (newest first, JSON).
    const raw = JSON.stringify(makeEvent(1, 'cli'));
    const letter = {
      id: 'ev-1',
      jobId: 'e-cli-1',
      layout: 'v1',
      raw,
      acceptedAt: Date.UTC(2026, 0, 1),
      attempts: 3,
      reason: 'maxretries',
      detail: '500 Internal Server Error',
      at: Date.UTC(2026, 0, 1, 0, 0, 1),
    };
    const client = redis().client();
    cleanup(() => client.quit());
    await client.lpush(endpointKeys(prefix, 'a').dead, JSON.stringify(letter));
    const dead = await run(['dead', '--config', file, '-e', 'a']);
    expect([(await dead.exited).code, dead.stdout]).toEqual([
      0,
      '2026-01-01T00:00:01.000Z  ev-1  push demo/app:v1  attempts 3  maxretries: 500 Internal Server Error\n',
    ]);
    const deadJson = await run(['dead', '--config', file, '-e', 'a', '--json']);
    expect(JSON.parse(deadJson.stdout)).toEqual([
      { ...letter, action: 'push', target: 'demo/app:v1' },
    ]);
    const replay = await run(['replay', '--config', file, '-e', 'a', '--all']);
    expect([(await replay.exited).code, replay.stdout]).toEqual([0, 'replayed 1 event(s)\n']);
    expect(await client.llen(endpointKeys(prefix, 'a').dead)).toBe(0);
    const after = await run(['stats', '--config', file, '-e', 'a', '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject([{ name: 'a', pending: 1 }]);
  }, 90_000); // about ten CLI processes one after another: slow on a loaded 2-core machine

  it('asks for exactly one endpoint where a command acts on one', async () => {
    const { file } = await writeConfig();
    const proc = await run(['dead', '--config', file]);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toBe('regnotify: dead: name exactly one endpoint with --endpoint\n');
  });

  it('says when there is no Redis to talk to', async () => {
    const file = path.join(dir, 'no-redis.yml');
    await writeFile(file, 'redis:\n  embedded:\n    port: 0\n');
    const proc = await run(['stats', '--config', file]);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toBe(
      'regnotify: set redis.url (redis.embedded.port is 0, so there is no known embedded Redis)\n',
    );
  });

  it('waits on Redis as long as redis.commandTimeoutMs says, not a built-in 5 s', async () => {
    const { file } = await writeConfig('  commandTimeoutMs: 60000\n');
    const client = redis().client();
    cleanup(async () => {
      await client.call('CLIENT', 'UNPAUSE');
      await client.quit();
    });
    // Redis holds every write (scripts included) until CLIENT UNPAUSE; reads still work.
    await client.call('CLIENT', 'PAUSE', '60000', 'WRITE');
    const proc = spawnNode(cli, ['pause', '--config', file, '-e', 'a']);
    await waitUntil(async () => / flags=b /.test(String(await client.call('CLIENT', 'LIST'))), {
      message: "the command's write held by CLIENT PAUSE",
    });
    // Longer than the 5 s the command used to allow whatever the configuration said.
    await Promise.race([proc.exited, delay(6500)]);
    await client.call('CLIENT', 'UNPAUSE');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout).toBe('a: paused\n');
  });
});

describe('the command line', () => {
  it('config prints the effective configuration with secrets redacted', async () => {
    const { file } = await writeConfig('  password: pw-c0nf1g-s3cret\n');
    const proc = await run(['config', '--config', file, '--json']);
    expect((await proc.exited).code).toBe(0);
    expect(proc.stdout).not.toContain('pw-c0nf1g-s3cret');
    const shown = JSON.parse(proc.stdout) as { redis: { password: string } };
    expect(shown.redis.password).toBe('[REDACTED]');
  });

  it('prints its version, and answers bad usage with exit code 2', async () => {
    const version = await run(['--version']);
    expect([(await version.exited).code, version.stdout]).toEqual([0, 'regnotify 0.1.0\n']);
    const bad = await run(['frobnicate']);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr).toMatch(/^regnotify: unknown command "frobnicate"/);
    expect(bad.stderr).toContain("Run 'regnotify --help' for usage.");
  });

  it('prints each configuration warning once', async () => {
    // A registry's own `redis:` section is not regnotify's: a warning, and the embedded Redis
    // (missing here, so the start fails fast after the warnings).
    const file = path.join(dir, 'registry-redis.yml');
    await writeFile(
      file,
      'redis:\n  addr: 127.0.0.1:6379\nnotifications:\n  endpoints:\n    - name: a\n      url: http://127.0.0.1:9/a\n',
    );
    const proc = await run(['start', '--config', file], {
      REGNOTIFY_REDIS_EMBEDDED_BIN: '/nonexistent/redis-server',
      REGNOTIFY_REDIS_EMBEDDED_DATADIR: path.join(dir, 'warn-redis'),
    });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr.match(/looks like the registry's own redis section/g)).toHaveLength(1);
  });

  it('the receiver prints every event POSTed to it and stops on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnNode(cli, ['receiver', '--port', String(port)]);
    await proc.waitForLine(/regnotify receiver: listening on http:\/\/127\.0\.0\.1:\d+\/events/);
    const event = makeEvent(1, 'rx');
    const res = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      body: encodeEnvelope([event]),
    });
    expect(res.status).toBe(200);
    await proc.waitForLine(new RegExp(`id=${event.id}`));
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });

  it('start with nothing configured runs the demo on an embedded Redis', async () => {
    const [ingestPort, demoPort, redisPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const proc = spawnNode(cli, ['start', '--port', String(demoPort)], {
      cwd: dir,
      env: {
        REGNOTIFY_REDIS_EMBEDDED_DATADIR: path.join(dir, 'demo-redis'),
        REGNOTIFY_REDIS_EMBEDDED_PORT: String(redisPort),
        REGNOTIFY_INGEST_ADDR: `127.0.0.1:${ingestPort}`,
      },
    });
    await proc.waitForLine(/ingest listening/, 15_000);
    expect(proc.stderr).toContain(`endpoint: demo -> http://127.0.0.1:${demoPort}/events`);
    expect(proc.stderr).toContain(`ingest:   http://127.0.0.1:${ingestPort}/events`);
    const event = makeEvent(2, 'demo');
    const res = await fetch(`http://127.0.0.1:${ingestPort}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
      body: encodeEnvelope([event]),
    });
    expect(res.status).toBe(200);
    await proc.waitForLine(new RegExp(`^\\S+ push \\S+ .* id=${event.id}$`), 15_000);
    // While it runs, `regnotify stats` finds the embedded Redis on its fixed port, and there
    // the endpoint the demo serves.
    const stats = await run(['stats', '--json'], {
      REGNOTIFY_REDIS_EMBEDDED_PORT: String(redisPort),
    });
    expect(JSON.parse(stats.stdout)).toMatchObject([{ name: 'demo', events: 1 }]);
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});

describe('start --install-redis (what `npm start` runs)', () => {
  /** A bin directory whose `id` says root and whose `apt-get` logs its arguments and exits `code`. */
  async function fakeApt(code: number): Promise<{ path: string; log: string }> {
    const bin = path.join(dir, `fake-apt-${++configs}`);
    const log = path.join(bin, 'apt.log');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'id'), '#!/bin/sh\necho 0\n');
    await writeFile(
      path.join(bin, 'apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\nexit ${code}\n`,
    );
    await chmod(path.join(bin, 'id'), 0o755);
    await chmod(path.join(bin, 'apt-get'), 0o755);
    return { path: `${bin}${path.delimiter}${process.env['PATH'] ?? ''}`, log };
  }

  it('installs a missing redis-server with apt-get, saying so first', async () => {
    const apt = await fakeApt(0);
    const proc = await run(['start', '--install-redis'], {
      PATH: apt.path,
      REGNOTIFY_REDIS_EMBEDDED_BIN: '/nonexistent/redis-server',
      REGNOTIFY_REDIS_EMBEDDED_DATADIR: path.join(dir, 'install-redis'),
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://127.0.0.1:9/a',
    });
    expect(await readFile(apt.log, 'utf8')).toBe(
      'noninteractive update -qq\nnoninteractive install -y -qq redis-server\n',
    );
    const said = proc.stderr.indexOf('installing it with apt-get (Debian package redis-server)');
    expect(said).toBeGreaterThanOrEqual(0);
    // The fake apt-get installed nothing: the start then says how to get redis-server.
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr.indexOf('apt-get install -y redis-server')).toBeGreaterThan(said);
  });

  it('stops with exit code 1 when apt-get fails', async () => {
    const apt = await fakeApt(100);
    const proc = await run(['start', '--install-redis'], {
      PATH: apt.path,
      REGNOTIFY_REDIS_EMBEDDED_BIN: '/nonexistent/redis-server',
      REGNOTIFY_REDIS_EMBEDDED_DATADIR: path.join(dir, 'install-redis-fails'),
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: 'http://127.0.0.1:9/a',
    });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr).toContain('regnotify: apt-get update -qq failed (exit 100)');
    expect(await readFile(apt.log, 'utf8')).toBe('noninteractive update -qq\n');
  });

  it('installs nothing when the configuration names a Redis', async () => {
    const apt = await fakeApt(0);
    const { file } = await writeConfig();
    const proc = spawnNode(cli, ['start', '--install-redis', '--config', file], {
      env: {
        PATH: apt.path,
        REGNOTIFY_REDIS_EMBEDDED_BIN: '/nonexistent/redis-server',
        REGNOTIFY_INGEST_ADDR: '127.0.0.1:0',
      },
    });
    await proc.waitForLine(/ingest listening/, 15_000);
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stderr).not.toContain('apt-get');
    await expect(readFile(apt.log, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});

describe('the other entry points', () => {
  it('ingest.js, work.js and all-in-one.js load the configuration as regnotify does', async () => {
    const broken = path.join(dir, 'broken.yml');
    await writeFile(broken, 'ingest:\n  addr: 5\n');
    for (const name of ['ingest', 'work', 'all-in-one']) {
      const proc = spawnNode(entry(name), ['--config', broken]);
      expect((await proc.exited).code).toBe(2);
      expect(proc.stderr).toMatch(/^regnotify: invalid configuration: .*ingest\.addr/);
    }
    const { file } = await writeConfig();
    const work = spawnNode(entry('work'), ['--config', file, '--endpoint', 'nosuch']);
    expect((await work.exited).code).toBe(2);
    expect(work.stderr).toContain('nosuch');
  });
});
