/**
 * Standard Webhooks signing end to end: a real `regnotify start` process, a real Redis, a real
 * receiver, and the `standardwebhooks` package (an independent implementation) verifying what
 * arrives — across a retry, with two secrets during a rotation, for batches; and an endpoint
 * without the new keys still gets the registry's request, byte for byte.
 */
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { messageId } from '../../src/sinks/signing.js';
import {
  cli,
  newSecret,
  postEvents,
  serviceConfig,
  startService,
  stopService,
  useServiceTest,
} from '../helpers/cli-service.js';
import { makeEvent } from '../helpers/delivery.js';
import { spawnNode } from '../helpers/processes.js';
import { eventIdsOf } from '../helpers/receiver.js';
import type { RecordedRequest } from '../helpers/receiver.js';
import { waitUntil } from '../helpers/wait.js';

const { redis, receiver } = useServiceTest();

function headersOf(req: RecordedRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Verifies with `secret` alone, as a receiver holding only that one would. */
function verifies(secret: string, req: RecordedRequest): boolean {
  try {
    new Webhook(secret).verify(req.body, headersOf(req));
    return true;
  } catch {
    return false;
  }
}

describe('signing.secrets', () => {
  it('a retry after a 500 verifies with the same webhook-id and a newer timestamp; both secrets of a rotation verify', async () => {
    const [oldSecret, newSecretValue, stranger] = [newSecret(), newSecret(), newSecret()];
    const rx = await receiver({ respond: (_req, i) => (i === 0 ? 500 : 200) });
    // threshold 1: the retry waits `backoff`, so it is signed at least a second later.
    const config = await serviceConfig(
      redis().url,
      `    - name: signed
      url: ${rx.url}
      threshold: 1
      backoff: 1500ms
      signing:
        secrets: [${oldSecret}, ${newSecretValue}]
`,
      'debug',
    );
    const proc = await startService('start', config);
    const event = makeEvent(1, 'sig');
    await postEvents(config, [event]);
    const [first, second] = await rx.waitFor(2, 20_000);
    for (const req of [first!, second!]) {
      expect(verifies(oldSecret, req)).toBe(true);
      expect(verifies(newSecretValue, req)).toBe(true);
      expect(verifies(stranger, req)).toBe(false);
      expect(req.headers['webhook-id']).toBe(messageId([event.id]));
      expect(headersOf(req)['webhook-signature']?.split(' ')).toHaveLength(2);
      expect(req.body).toBe(encodeEnvelope([event])); // signing leaves the body as it was
    }
    expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(
      Number(first!.headers['webhook-timestamp']),
    );
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
    await waitUntil(() => rx.requests.some((r) => r.status === 200));
    expect(await stopService(proc)).toBe(0);
    // Redacted everywhere the process writes, debug level included.
    for (const s of [oldSecret, newSecretValue]) {
      expect(proc.stdout + proc.stderr).not.toContain(s.slice('whsec_'.length));
    }
  });

  it("a batch's webhook-id derives from its events' ids, and every request verifies", async () => {
    const secret = newSecret();
    const rx = await receiver();
    const config = await serviceConfig(
      redis().url,
      `    - name: batched
      url: ${rx.url}
      maxbatch: 5
      signing:
        secrets: [${secret}]
`,
    );
    const ingest = await startService('ingest', config);
    const events = Array.from({ length: 7 }, (_, i) => makeEvent(i, 'sigb'));
    await postEvents(config, events);
    const work = await startService('work', config); // the backlog exists: batches of 5 and 2
    await waitUntil(() => rx.requests.flatMap(eventIdsOf).length >= events.length, {
      timeoutMs: 20_000,
      message: 'all events delivered',
    });
    expect(rx.requests.map((r) => eventIdsOf(r).length)).toEqual([5, 2]);
    for (const req of rx.requests) {
      expect(verifies(secret, req)).toBe(true);
      expect(req.headers['webhook-id']).toBe(messageId(eventIdsOf(req)));
    }
    expect(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size).toBe(2);
    expect(await stopService(work)).toBe(0);
    expect(await stopService(ingest)).toBe(0);
  });

  it('`regnotify config` shows the secrets as [REDACTED]', async () => {
    const secret = newSecret();
    const config = await serviceConfig(
      redis().url,
      `    - name: shown\n      url: http://127.0.0.1:9/\n      signing: { secrets: [${secret}] }\n`,
    );
    const proc = spawnNode(cli, ['config', '--config', config.file, '--json']);
    expect((await proc.exited).code).toBe(0);
    const printed = JSON.parse(proc.stdout) as {
      notifications: { endpoints: { signing?: unknown }[] };
    };
    expect(printed.notifications.endpoints[0]?.signing).toEqual({ secrets: ['[REDACTED]'] });
    expect(proc.stdout + proc.stderr).not.toContain(secret.slice('whsec_'.length));
  });

  it('without the new keys, an endpoint gets the registry request: same headers, same bytes', async () => {
    const rx = await receiver();
    const config = await serviceConfig(redis().url, `    - name: plain\n      url: ${rx.url}\n`);
    const proc = await startService('start', config);
    const event = makeEvent(1, 'plain');
    await postEvents(config, [event]);
    const [req] = await rx.waitFor(1, 20_000);
    expect(req!.body).toBe(encodeEnvelope([event]));
    const names = req!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names.sort()).toEqual([
      'connection',
      'content-length',
      'content-type',
      'host',
      'user-agent',
    ]);
    expect(req!.headers['content-type']).toBe('application/vnd.docker.distribution.events.v1+json');
    expect(await stopService(proc)).toBe(0);
  });
});
