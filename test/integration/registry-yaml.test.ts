/**
 * A registry's own config.yml, read as the registry's yaml.v2 reads it, by the real service:
 * `node dist/workers/regnotify.js start` with a real redis-server and a real receiver (needs
 * `npm run build`). Unquoted header values that YAML 1.1 would make numbers or booleans are
 * sent as written, and an endpoint named `y` is `y` down to its Redis keys.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { useCleanups } from '../helpers/cleanup.js';
import { makeEvent } from '../helpers/delivery.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { freePort, useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const cleanup = useCleanups();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-registry-yaml-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

/** Header name → the text written, unquoted, in the config. */
const HEADERS = {
  'X-Big': '12345678901234567890',
  'X-On': 'on',
  'X-Hex': '0x1F',
  'X-Float': '1.10',
};

/** A registry 2.8 config.yml (its own sections and its notifications), nothing of regnotify's. */
function registryConfig(rx: Receiver): string {
  return `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
notifications:
  endpoints:
    - name: y
      url: ${rx.url}
      headers:
${Object.entries(HEADERS)
  .map(([name, text]) => `        ${name}: [${text}]`)
  .join('\n')}
      timeout: 2s
      threshold: 0x5
      backoff: 1s
`;
}

/** Starts the service, POSTs one event to its ingest, and returns what the receiver got. */
async function relayOne(rx: Receiver, args: string[], env: Record<string, string>) {
  const port = await freePort();
  const proc = spawnNode(cli, ['start', ...args], {
    env: {
      REGNOTIFY_REDIS_URL: redis().url,
      REGNOTIFY_REDIS_PREFIX: `rt${port}`,
      REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}`,
      ...env,
    },
  });
  await proc.waitForLine(/ingest listening/, 15_000);
  const body = encodeEnvelope([makeEvent(1, 'yaml')]);
  const res = await fetch(`http://127.0.0.1:${port}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body,
  });
  expect(res.status).toBe(200);
  const [delivered] = await rx.waitFor(1, 15_000);
  const client = redis().client();
  const keys = await client.keys(`rt${port}:*`);
  await client.quit();
  proc.kill('SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
  return { delivered: delivered!, body, keys, prefix: `rt${port}` };
}

function expectVerbatim(result: Awaited<ReturnType<typeof relayOne>>): void {
  const { delivered, body, keys, prefix } = result;
  expect(delivered.body).toBe(body);
  const sent = Object.keys(HEADERS).map((name) => [name, delivered.headers[name.toLowerCase()]]);
  expect.soft(Object.fromEntries(sent)).toEqual(HEADERS);
  // The endpoint's queue is `{ep-y}`: every key of the endpoint carries that hash tag.
  expect(keys.length).toBeGreaterThan(0);
  expect(keys.filter((key) => !key.startsWith(`${prefix}:{ep-y}:`))).toEqual([]);
}

describe("a registry's config.yml, as yaml.v2 reads it", () => {
  it('relays to endpoint y with the header texts as written, from the file', async () => {
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const config = path.join(dir, 'config.yml');
    await writeFile(config, registryConfig(rx));
    expectVerbatim(await relayOne(rx, ['--config', config], {}));
  });

  it('and from the registry environment overrides alone', async () => {
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const headers = Object.entries(HEADERS)
      .map(([name, text]) => `${name}: [${text}]`)
      .join(', ');
    const env = {
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'y',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: rx.url,
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: `{${headers}}`,
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '0x5',
    };
    expectVerbatim(await relayOne(rx, [], env));
  });
});
