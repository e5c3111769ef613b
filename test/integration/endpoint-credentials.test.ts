/**
 * Credentials in an endpoint URL, through the real CLI (`node dist/workers/regnotify.js`, needs
 * `npm run build`), a real redis-server and a real receiver: the userinfo becomes Basic auth as
 * Go's client sends it, and neither the password nor a query token shows anywhere the process
 * writes — its whole stdout and stderr at info and at debug level, `/debug/vars`, and
 * `regnotify config`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { cli, useServiceTest } from '../helpers/cli-service.js';
import { makeEvent } from '../helpers/delivery.js';
import { spawnNode } from '../helpers/processes.js';
import { freePort } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const PASSWORD = 's3cretpw';
const TOKEN = 't0psecret';
const BASIC = `Basic ${Buffer.from(`u:${PASSWORD}`).toString('base64')}`;

const { redis, receiver } = useServiceTest();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A config file for one endpoint at `url`; returns its path and the ingest's base URL. */
async function writeConfig(
  name: string,
  url: string,
  level: string,
): Promise<{ file: string; base: string }> {
  const port = await freePort();
  const file = path.join(dir, `${name}.yml`);
  await writeFile(
    file,
    `redis:
  url: ${redis().url}
  prefix: ${name}
ingest:
  addr: 127.0.0.1:${port}
logging:
  level: ${level}
notifications:
  endpoints:
    - name: hook
      url: ${url}
      threshold: 3
      backoff: 200ms
`,
  );
  return { file, base: `http://127.0.0.1:${port}` };
}

async function postEvent(base: string, id: number): Promise<void> {
  const res = await fetch(`${base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: encodeEnvelope([makeEvent(id, 'cred')]),
  });
  expect(res.status).toBe(200);
}

describe('an endpoint URL with userinfo', () => {
  it('is delivered with Authorization: Basic from the userinfo, and no userinfo on the wire', async () => {
    const rx = await receiver({
      respond: (req) => (req.headers['authorization'] === BASIC ? 200 : 401),
    });
    const url = rx.url.replace('://', `://u:${PASSWORD}@`);
    const { file, base } = await writeConfig('cred-ok', url, 'info');
    const proc = spawnNode(cli, ['start', '--config', file]);
    await proc.waitForLine(/ingest listening/, 15_000);
    await postEvent(base, 1);
    const [first] = await rx.waitFor(1, 15_000);
    expect(first!.headers['authorization']).toBe(BASIC);
    expect(first!.url).toBe('/events');
    expect(first!.headers['host']).toBe(new URL(rx.url).host);
    await waitUntil(() => rx.requests.some((r) => r.status === 200), {
      message: 'a 200 from the receiver',
    });
    proc.kill('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
  });
});

describe('secrets in a failing endpoint URL', () => {
  const forms = [PASSWORD, TOKEN].flatMap((s) => [
    s,
    encodeURIComponent(s),
    Buffer.from(s).toString('base64'),
  ]);
  forms.push(BASIC.slice('Basic '.length)); // base64 of u:s3cretpw

  it.each([['info'], ['debug']])(
    'never show in the output at %s level, /debug/vars or regnotify config',
    async (level) => {
      const rx = await receiver({ respond: () => 500 });
      const url = `${rx.url.replace('://', `://u:${PASSWORD}@`)}?token=${TOKEN}`;
      const { file, base } = await writeConfig(`cred-${level}`, url, level);
      const proc = spawnNode(cli, ['start', '--config', file]);
      await proc.waitForLine(/ingest listening/, 15_000);
      await postEvent(base, 2);
      await rx.waitFor(4, 15_000); // a backoff and more attempts: several failure lines
      await proc.waitForLine(/delivery attempt failed/, 15_000);
      const vars = await (await fetch(`${base}/debug/vars`)).text();
      expect(vars).toContain('"name":"hook"');
      proc.kill('SIGTERM');
      expect(await proc.exited).toEqual({ code: 0, signal: null });

      const printer = spawnNode(cli, ['config', '--config', file, '--json']);
      expect((await printer.exited).code).toBe(0);

      const outputs = {
        'service output': proc.stdout + proc.stderr,
        '/debug/vars': vars,
        'regnotify config': printer.stdout + printer.stderr,
      };
      for (const [where, text] of Object.entries(outputs)) {
        for (const form of forms) expect(text, `${where} shows ${form}`).not.toContain(form);
      }
      // The URL is there, in its display form.
      expect(proc.stdout).toContain('httpSink{http://u:***@127.0.0.1:');
      expect(proc.stdout).toContain('?token=***}');
      expect(printer.stdout).toContain('"url": "http://u:***@127.0.0.1:');
    },
  );
});
