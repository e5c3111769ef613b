/**
 * `regnotify receiver --secret whsec_…` as a real process, fed by a real `regnotify start`
 * signing with two secrets (one of them the receiver's): each printed line says whether the
 * request verified. Unsigned or wrongly signed requests print NOT verified; a bad --secret
 * stops it before it listens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { messageSigner } from '../../src/sinks/signing.js';
import {
  cli,
  newSecret,
  postEvents,
  serviceConfig,
  startService,
  stopService,
} from '../helpers/cli-service.js';
import { makeEvent } from '../helpers/delivery.js';
import { reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { freePort, useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
afterEach(() => reapChildren());

async function startPrinter(secret: string): Promise<{ proc: Child; url: string }> {
  const port = await freePort();
  const proc = spawnNode(cli, ['receiver', '--port', String(port), '--secret', secret]);
  await proc.waitForLine(/regnotify receiver: listening on/);
  return { proc, url: `http://127.0.0.1:${port}/events` };
}

/** POSTs `body` with extra headers straight to the receiver. */
async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body, headers });
  expect(res.status).toBe(200);
}

describe('regnotify receiver --secret', () => {
  it('prints "verified" for what a signing endpoint sends, envelope and CloudEvents alike', async () => {
    const secret = newSecret();
    const { proc: printer, url } = await startPrinter(secret);
    const config = await serviceConfig(
      redis().url,
      `    - name: env
      url: ${url}
      signing: { secrets: [${newSecret()}, ${secret}] }
    - name: ce
      url: ${url}
      format: cloudevents
      signing: { secrets: [${secret}] }
`,
    );
    const svc = await startService('start', config);
    const event = makeEvent(1, 'rxs');
    await postEvents(config, [event]);
    const line = new RegExp(`id=${event.id} verified$`, 'm');
    await printer.waitForLine(line, 20_000);
    // Both endpoints' lines: the envelope and the CloudEvent.
    const count = () => printer.stdout.split('\n').filter((l) => line.test(l)).length;
    await expect.poll(count, { timeout: 20_000 }).toBe(2);
    expect(await stopService(svc)).toBe(0);
    expect(printer.stdout).not.toContain('NOT verified');
    expect(await stopService(printer)).toBe(0);
  });

  it('prints "NOT verified" and why for unsigned, wrongly signed and stale requests', async () => {
    const secret = newSecret();
    const { proc, url } = await startPrinter(secret);
    const body = encodeEnvelope([makeEvent(1, 'u')]);
    await post(url, body);
    await proc.waitForLine(
      /id=u-\S+ NOT verified \(no webhook-id\/-timestamp\/-signature headers\)/,
    );
    const pairs = (s: string, ms = Date.now()) =>
      messageSigner([s], () => ms)(['x'])(Buffer.from(body));
    const headers = (list: string[]) =>
      Object.fromEntries([0, 2, 4].map((i) => [list[i], list[i + 1]]));
    await post(url, body, headers(pairs(newSecret())));
    await proc.waitForLine(/NOT verified \(no signature matches the secret\(s\)\)/);
    await post(url, body, headers(pairs(secret, Date.now() - 3_600_000)));
    await proc.waitForLine(/NOT verified \(timestamp \d+ is not within 300 s of now\)/);
    await post(url, body, headers(pairs(secret)));
    await proc.waitForLine(/ verified$/m);
    expect(await stopService(proc)).toBe(0);
  });

  it('refuses a malformed --secret before listening, naming the option', async () => {
    const proc = spawnNode(cli, ['receiver', '--port', '0', '--secret', 'whsec_dG9vc2hvcnQ=']);
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toMatch(/--secret \(the 1st\): the key must be 24 to 64 bytes, got 8/);
    expect(proc.stdout).toBe('');
  });
});
