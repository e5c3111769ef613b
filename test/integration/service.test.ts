/**
 * The service as users run it: `node dist/workers/regnotify.js …` as a real process, with a
 * real redis-server and a real receiver (needs `npm run build`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchemaRows } from '../../src/config/schema-doc.js';
import { makeEvent } from '../helpers/delivery.js';
import { encodeEnvelope } from '../../src/events/encode.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import type { RedisServer } from '../helpers/redis-server.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const secrets = {
  header: 'hdr-7f3a9c-secret',
  redis: 'redis-pw-5d2e8b',
  token: 'ingest-tok-91c4aa',
};
let redis: RedisServer;
let dir: string;

beforeAll(async () => {
  redis = await startRedis();
  // A password, so the test can check it never reaches the logs.
  const admin = redis.client();
  await admin.config('SET', 'requirepass', secrets.redis);
  await admin.quit();
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-service-'));
});
afterAll(async () => {
  const admin = redis.client({ password: secrets.redis });
  await admin.config('SET', 'requirepass', '');
  await admin.quit();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => reapChildren());

async function writeConfig(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('regnotify start', () => {
  it('relays, serves health and metrics, keeps secrets out of its logs, and stops on SIGTERM', async () => {
    const rx = await startReceiver({ respond: (_r, i) => (i < 2 ? 500 : 200) });
    const port = await freePort();
    const config = await writeConfig(
      'service.yml',
      `redis:
  url: redis://:${secrets.redis}@127.0.0.1:${redis.port}
ingest:
  addr: 127.0.0.1:${port}
  auth:
    token: ${secrets.token}
logging:
  level: debug
notifications:
  endpoints:
    - name: hooks
      url: ${rx.url}
      headers:
        Authorization: [Bearer ${secrets.header}]
      threshold: 5
`,
    );
    const proc = spawnNode(cli, ['start', '--config', config]);
    await proc.waitForLine(/ingest listening/, 15_000);
    const base = `http://127.0.0.1:${port}`;
    const body = encodeEnvelope([makeEvent(1, 'svc')]);
    const post = (auth?: string) =>
      fetch(`${base}/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/vnd.docker.distribution.events.v1+json',
          ...(auth ? { authorization: auth } : {}),
        },
        body,
      });
    expect((await post()).status).toBe(401);
    const ok = await post(`Bearer ${secrets.token}`);
    expect(ok.status).toBe(200);
    const [, , delivered] = await rx.waitFor(3, 15_000);
    expect(delivered!.body).toBe(body);
    expect(delivered!.headers['authorization']).toBe(`Bearer ${secrets.header}`);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    // With ingest auth and no metrics.token, /metrics and /debug/vars take the ingest's token.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const ops = { headers: { authorization: `Bearer ${secrets.token}` } };
    const metrics = await (await fetch(`${base}/metrics`, ops)).text();
    expect(metrics).toMatch(
      /registry_notifications_events_total\{endpoint="hooks",type="Successes"\} 1/,
    );
    expect(metrics).toMatch(
      /registry_notifications_events_total\{endpoint="hooks",type="Failures"\} 2/,
    );
    expect(metrics).toMatch(
      /registry_notifications_status_total\{code="500 Internal Server Error",endpoint="hooks"\} 2/,
    );
    expect(await (await fetch(`${base}/debug/vars`, ops)).text()).toContain('"name":"hooks"');

    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    const output = proc.stdout + proc.stderr;
    expect(output).toContain('delivery attempt failed'); // errors were logged…
    for (const secret of Object.values(secrets)) expect(output).not.toContain(secret); // …without secrets
    await rx.close();
  });

  it('stops at start-up on a broken configuration, naming the key', async () => {
    const config = await writeConfig(
      'broken.yml',
      'notifications:\n  endpoints:\n    - name: a\n      url: http://127.0.0.1:1/x\n      timeout: 1x\n',
    );
    const proc = spawnNode(cli, ['start', '--config', config]);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toContain('notifications.endpoints[0].timeout');
  });

  it('says how to get redis-server when the embedded one is missing', async () => {
    const proc = spawnNode(cli, ['start'], {
      env: {
        REGNOTIFY_REDIS_EMBEDDED_BIN: '/nonexistent/redis-server',
        REGNOTIFY_REDIS_EMBEDDED_DATADIR: path.join(dir, 'redis'),
      },
    });
    expect((await proc.exited).code).toBe(1);
    expect(proc.stderr).toContain('apt-get install -y redis-server');
  });
});

describe('regnotify --help', () => {
  it('lists every command and every configuration key', async () => {
    const proc = spawnNode(cli, ['--help']);
    expect((await proc.exited).code).toBe(0);
    for (const command of [
      'start',
      'ingest',
      'work',
      'stats',
      'dead',
      'replay',
      'pause',
      'resume',
    ]) {
      expect(proc.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    for (const row of configSchemaRows()) expect(proc.stdout).toContain(row.key);
  });
});

describe('examples/library.ts', () => {
  it('runs with nothing but Node and delivers two events', async () => {
    const proc = spawnNode(path.join(root, 'dist', 'examples', 'library.js'));
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(proc.stdout).toContain('"successes":2');
  });
});
