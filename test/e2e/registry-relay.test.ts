/**
 * End to end with the real registry (Debian's docker-registry, distribution 2.8.2) driven by a
 * real client (skopeo), notifying regnotify — real `regnotify` processes from dist/ (npm run
 * build) on a real redis-server — which delivers to a recording receiver.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventsMediaType } from '../../src/events/types.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { useCleanups } from '../helpers/cleanup.js';
import { buildOciLayout } from '../helpers/oci-layout.js';
import { reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { startReceiver } from '../helpers/receiver.js';
import type { RecordedRequest } from '../helpers/receiver.js';
import { freePort, startRedis } from '../helpers/redis-server.js';
import {
  copyRepo,
  deleteManifest,
  pullTo,
  pushLayout,
  registryAvailable,
  skopeoAvailable,
  startRegistry,
} from '../helpers/registry.js';
import { delay, waitUntil } from '../helpers/wait.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'workers', 'regnotify.js');
const ingestToken = 'e2e-ingest-token';
const endpointHeaders = { Authorization: ['Bearer s3cret'] };

// Hooks run last-registered first: the cleanups (which stop regnotify with SIGTERM) before the
// reaper, which fails a test that leaves a process behind.
afterEach(() => reapChildren());
const cleanup = useCleanups();

beforeAll(() => {
  // CI installs both (scripts/install-test-deps.sh); a silent skip would hide a broken setup.
  if (!registryAvailable() || !skopeoAvailable()) {
    throw new Error(
      'docker-registry and skopeo are required: apt-get install -y docker-registry skopeo',
    );
  }
});

interface Setup {
  tmp: string;
  redisUrl: string;
  ingestUrl: string;
  config: string;
  /** regnotify delivers here. */
  relayed: Awaited<ReturnType<typeof startReceiver>>;
  /** The registry's own second endpoint: what the registry sends, directly. */
  direct: Awaited<ReturnType<typeof startReceiver>>;
}

async function setUp(): Promise<Setup> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'regnotify-e2e-'));
  cleanup(() => rm(tmp, { recursive: true, force: true }));
  const redis = await startRedis();
  cleanup(() => redis.stop());
  const relayed = await startReceiver();
  const direct = await startReceiver();
  cleanup(
    () => relayed.close(),
    () => direct.close(),
  );
  const port = await freePort();
  const config = path.join(tmp, 'regnotify.yml');
  await writeFile(
    config,
    `redis:
  url: ${redis.url}
ingest:
  addr: 127.0.0.1:${port}
  auth:
    token: ${ingestToken}
workers:
  lockDurationMs: 2000
  stalledIntervalMs: 1000
logging:
  level: info
notifications:
  endpoints:
    - name: hooks
      url: ${relayed.url}
      headers:
        Authorization: [Bearer s3cret]
      timeout: 1s
      threshold: 3
      backoff: 500ms
`,
  );
  return {
    tmp,
    redisUrl: redis.url,
    ingestUrl: `http://127.0.0.1:${port}/events`,
    config,
    relayed,
    direct,
  };
}

async function registryFor(s: Setup) {
  const reg = await startRegistry({
    notifyUrl: s.ingestUrl,
    headers: { Authorization: [`Bearer ${ingestToken}`] },
    timeout: '2s',
    threshold: 3,
    backoff: '500ms',
    includeReferences: true,
    extraEndpoints: [
      {
        name: 'direct',
        url: s.direct.url,
        headers: endpointHeaders,
        timeout: '1s',
        threshold: 3,
        backoff: '500ms',
      },
    ],
  });
  cleanup(() => reg.destroy());
  return reg;
}

async function regnotify(s: Setup, command: 'start' | 'ingest' | 'work'): Promise<Child> {
  const proc = spawnNode(cli, [command, '--config', s.config]);
  cleanup(async () => {
    proc.kill('SIGTERM');
    await proc.exited;
  });
  await proc.waitForLine(
    command === 'work' ? /delivery workers started/ : /ingest listening/,
    20_000,
  );
  return proc;
}

const eventOf = (r: RecordedRequest) =>
  (
    JSON.parse(r.body) as {
      events: { id: string; action: string; target: { digest?: string; tag?: string } }[];
    }
  ).events[0]!;

describe('regnotify between the real registry and a receiver', () => {
  it('the receiver gets exactly the bytes, headers and order the registry sent', async () => {
    const s = await setUp();
    await regnotify(s, 'start');
    const reg = await registryFor(s);
    const layout = await buildOciLayout(path.join(s.tmp, 'layout'), { seed: 'e2e-1' });
    await pushLayout(reg, layout.dir, 'demo/app:v1');
    await pullTo(reg, 'demo/app:v1', path.join(s.tmp, 'pulled'));
    await copyRepo(reg, 'demo/app:v1', 'other/app:v1');
    await deleteManifest(reg, `other/app@${layout.manifestDigest}`);

    // The registry's own delivery to `direct` is the reference: wait until it is complete
    // (nothing more for a moment after the last operation), then for regnotify to match it.
    await waitUntil(
      async () => {
        const n = s.direct.requests.length;
        await delay(300);
        return n >= 12 && s.direct.requests.length === n;
      },
      { timeoutMs: 20_000, message: 'the registry delivering to the direct receiver' },
    );
    const expected = s.direct.requests;
    await s.relayed.waitFor(expected.length, 20_000);
    const got = s.relayed.requests;
    expect(got.map((r) => r.body)).toEqual(expected.map((r) => r.body));
    for (const r of got) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe(EventsMediaType);
      expect(r.headers['authorization']).toBe('Bearer s3cret');
    }
    expect(new Set(got.map((r) => eventOf(r).action))).toEqual(
      new Set(['push', 'pull', 'mount', 'delete']),
    );
    console.log(`e2e: ${got.length} events relayed byte for byte`);
  });

  it('loses nothing where the registry alone loses everything', async () => {
    const s = await setUp();
    await s.relayed.close();
    await s.direct.close();
    await regnotify(s, 'ingest');
    const workers = [await regnotify(s, 'work'), await regnotify(s, 'work')];
    const reg = await registryFor(s);
    const layout = await buildOciLayout(path.join(s.tmp, 'layout'), { seed: 'e2e-2' });
    await pushLayout(reg, layout.dir, 'demo/lost:v1');

    // regnotify has accepted the push (3 events: layer, config, manifest) and keeps retrying.
    const redis = (await import('ioredis')).Redis;
    const client = new redis(s.redisUrl);
    cleanup(() => client.quit());
    await waitUntil(
      async () => {
        const st = await readEndpointStats(client, 'regnotify', 'hooks');
        return st.pending === 3 && st.errors >= 2;
      },
      {
        timeoutMs: 20_000,
        message: 'regnotify holding the 3 events of the push, failing to deliver',
      },
    );

    // kill -9 a worker while it retries; restart the registry; then the receivers come back.
    workers[0]!.kill('SIGKILL');
    await workers[0]!.exited;
    await reg.kill9();
    await reg.restart();
    await s.relayed.reopen();
    await s.direct.reopen();
    const back = Date.now();

    const got = await s.relayed.waitFor(3, 20_000);
    const pushed = got.map(eventOf).map((e) => [e.action, e.target.digest, e.target.tag ?? '-']);
    expect(pushed.slice(0, 3)).toEqual([
      ['push', layout.layerDigests[0], '-'],
      ['push', layout.configDigest, '-'],
      ['push', layout.manifestDigest, 'v1'],
    ]);
    const deliveredAfterMs = got[2]!.receivedAt - back;

    // The registry's own queue died with it: the direct receiver never gets these events.
    await pullTo(reg, 'demo/lost:v1', path.join(s.tmp, 'pulled')); // a control operation
    await waitUntil(() => s.direct.requests.length >= 1 && s.relayed.requests.length >= 4, {
      timeoutMs: 20_000,
      message: 'the control pull reaching both receivers',
    });
    await delay(1000); // the registry retries its queue every 500 ms: give lost events a chance
    const directActions = s.direct.requests.map((r) => eventOf(r).action);
    expect(directActions).not.toContain('push');
    expect(s.relayed.requests.map((r) => eventOf(r).action).slice(3)).toContain('pull');
    console.log(
      `e2e: the 3 push events reached the receiver ${deliveredAfterMs} ms after it came back; the registry alone delivered ${directActions.filter((a) => a === 'push').length} of them`,
    );
  });
});
