/**
 * The real registry (distribution 2.8.2) notifying a recording receiver directly, driven by
 * skopeo. It proves the harness, pins down what the original sends for each client operation,
 * and documents the baseline regnotify exists to fix: the registry's queue lives in memory, so a
 * registry that dies while its endpoint is down loses those events.
 *
 * A contract test (test/contract/): it checks other software, not regnotify. Without
 * docker-registry or skopeo it fails with the install command, never skips
 * (requireRegistryTools in test/helpers/registry.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventsMediaType } from '../../src/events/types.js';
import { buildOciLayout } from '../helpers/oci-layout.js';
import type { OciLayout } from '../helpers/oci-layout.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver, RecordedRequest } from '../helpers/receiver.js';
import {
  copyRepo,
  deleteManifest,
  pullTo,
  pushLayout,
  requireRegistryTools,
  startRegistry,
} from '../helpers/registry.js';
import type { Credentials, Registry } from '../helpers/registry.js';
import { delay, waitUntil } from '../helpers/wait.js';

beforeAll(requireRegistryTools);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  options: { receiverDown?: boolean; htpasswd?: Credentials } = {},
): Promise<{ rec: Receiver; reg: Registry; tmp: string }> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'regnotify-direct-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  const rec = await startReceiver();
  cleanups.push(() => rec.close());
  if (options.receiverDown === true) await rec.close();
  const reg = await startRegistry({
    notifyUrl: rec.url,
    headers: { Authorization: ['Bearer s3cret'] },
    timeout: '1s',
    threshold: 3,
    backoff: '500ms',
    includeReferences: true,
    ...(options.htpasswd === undefined ? {} : { htpasswd: options.htpasswd }),
  });
  cleanups.push(() => reg.destroy());
  return { rec, reg, tmp };
}

interface WireEvent {
  action: string;
  target: { mediaType?: string; repository: string; tag?: string; digest?: string };
  actor: { name?: string };
}

function eventOf(req: RecordedRequest): WireEvent {
  const events = (JSON.parse(req.body) as { events: WireEvent[] }).events;
  expect(events).toHaveLength(1); // the original sends one event per envelope
  return events[0] as WireEvent;
}

/** 'action mediaType repository tag digest-name', one line per event, '-' for absent fields. */
function describeEvents(requests: RecordedRequest[], names: Map<string, string>): string[] {
  return requests.map((req) => {
    const { action, target } = eventOf(req);
    const digest = target.digest === undefined ? '-' : (names.get(target.digest) ?? target.digest);
    return [action, target.mediaType ?? '-', target.repository, target.tag ?? '-', digest].join(
      ' ',
    );
  });
}

function digestNames(layout: OciLayout): Map<string, string> {
  return new Map([
    [layout.manifestDigest, 'manifest'],
    [layout.configDigest, 'config'],
    ...layout.layerDigests.map((d, i): [string, string] => [d, `layer${i}`]),
  ]);
}

const M = 'application/vnd.oci.image.manifest.v1+json';
const B = 'application/octet-stream';

describe('docker-registry 2.8.2 notifying a receiver directly', () => {
  it('sends one event per POST, in the original format, for push, pull, mount and delete', async () => {
    const { rec, reg, tmp } = await setUp();
    const layout = await buildOciLayout(path.join(tmp, 'layout'), {
      seed: `direct-${Date.now()}`,
    });
    const names = digestNames(layout);
    // clientMs: skopeo's run time; lastEventMs: from skopeo's start to the op's last event.
    const timings: Record<string, { clientMs: number; lastEventMs: number }> = {};

    // Each operation's events are queued before the next operation starts and the registry
    // delivers them in order, so waiting for the cumulative count slices them per operation.
    const step = async (
      name: string,
      run: () => Promise<unknown>,
      expected: string[],
    ): Promise<void> => {
      const before = rec.requests.length;
      const started = performance.now();
      await run();
      const clientDone = performance.now();
      const got = (await rec.waitFor(before + expected.length, 10_000)).slice(
        before,
        before + expected.length,
      );
      expect(describeEvents(got, names), name).toEqual(expected);
      const last = got[got.length - 1] as RecordedRequest;
      timings[name] = {
        clientMs: Math.round(clientDone - started),
        lastEventMs: Math.round(last.receivedAt - performance.timeOrigin - started),
      };
    };

    await step('push', () => pushLayout(reg, layout.dir, 'demo/app:v1'), [
      `push ${B} demo/app - layer0`,
      `push ${B} demo/app - config`,
      `push ${M} demo/app v1 manifest`,
    ]);
    await step('pull', () => pullTo(reg, 'demo/app:v1', path.join(tmp, 'pulled')), [
      `pull ${M} demo/app v1 manifest`,
      `pull ${B} demo/app - layer0`,
      `pull ${B} demo/app - config`,
    ]);
    // skopeo HEADs the layer in the source repo (a `pull`), mounts it, but copies the config
    // through GET + PUT.
    await step('copy', () => copyRepo(reg, 'demo/app:v1', 'other/app:v1'), [
      `pull ${M} demo/app v1 manifest`,
      `pull ${B} demo/app - layer0`,
      `mount ${B} other/app - layer0`,
      `pull ${B} demo/app - config`,
      `push ${B} other/app - config`,
      `push ${M} other/app v1 manifest`,
    ]);
    // deleteManifest resolves the tag (a GET), skopeo GETs the manifest by digest, then DELETE:
    // a `delete` with the digest, then one `delete` per tag that pointed at it.
    let deleted = '';
    await step('delete', async () => (deleted = await deleteManifest(reg, 'other/app:v1')), [
      `pull ${M} other/app v1 manifest`,
      `pull ${M} other/app - manifest`,
      `delete - other/app - manifest`,
      `delete - other/app v1 -`,
    ]);
    expect(deleted).toBe(layout.manifestDigest);
    expect(rec.requests).toHaveLength(16);

    for (const req of rec.requests) {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/events');
      expect(req.headers['content-type']).toBe(EventsMediaType);
      expect(req.headers.authorization).toBe('Bearer s3cret');
      expect(req.headers['user-agent']).toBe('Go-http-client/1.1');
      // Go's json.MarshalIndent(env, "", "   "): three-space indent, no trailing newline.
      expect(req.body.startsWith('{\n   "events": [\n      {\n         "id": "')).toBe(true);
      expect(req.body).toBe(JSON.stringify(JSON.parse(req.body), null, 3));
    }
    const manifestPush = JSON.parse((rec.requests[2] as RecordedRequest).body) as {
      events: { target: { references?: { digest: string }[]; url: string } }[];
    };
    const target = manifestPush.events[0]?.target;
    expect(target?.references?.map((r) => r.digest)).toEqual([
      layout.configDigest,
      ...layout.layerDigests,
    ]);
    expect(target?.url).toBe(`${reg.url}/v2/demo/app/manifests/${layout.manifestDigest}`);
    console.log('registry → receiver timings (ms):', JSON.stringify(timings));
  });

  it('reports an OCI index push with auth: platform manifests by digest, the index with its tag', async () => {
    const { rec, reg, tmp } = await setUp({
      htpasswd: { user: 'alice', password: 'wonderland' },
    });
    const layout = await buildOciLayout(path.join(tmp, 'index'), {
      seed: `index-${Date.now()}`,
      index: true,
    });
    const [amd64, arm64] = layout.manifests;
    if (amd64 === undefined || arm64 === undefined || layout.indexDigest === undefined)
      throw new Error('no index');
    const names = new Map([[layout.indexDigest, 'index']]);
    for (const [arch, image] of [['amd64', amd64] as const, ['arm64', arm64] as const]) {
      names.set(image.manifestDigest, `${arch}-manifest`).set(image.configDigest, `${arch}-config`);
      image.layerDigests.forEach((d) => names.set(d, `${arch}-layer`));
    }
    const other = await buildOciLayout(path.join(tmp, 'other'), {
      seed: `index-other-${Date.now()}`,
    });
    expect(other.manifestDigest).not.toBe(amd64.manifestDigest); // other seed, other digests

    await pushLayout(reg, layout.dir, 'demo/multi:v1');
    const got = await rec.waitFor(7, 10_000);
    expect(describeEvents(got, names)).toEqual([
      `push ${B} demo/multi - amd64-layer`,
      `push ${B} demo/multi - amd64-config`,
      `push ${M} demo/multi - amd64-manifest`,
      `push ${B} demo/multi - arm64-layer`,
      `push ${B} demo/multi - arm64-config`,
      `push ${M} demo/multi - arm64-manifest`,
      `push application/vnd.oci.image.index.v1+json demo/multi v1 index`,
    ]);
    expect(got.map((req) => eventOf(req).actor.name)).toEqual(Array(7).fill('alice'));
    await expect(
      pullTo({ ...reg, credentials: { user: 'alice', password: 'wrong' } }, 'demo/multi:v1', tmp),
    ).rejects.toThrow(/unauthorized|authentication required/i);
  });

  for (const death of ['kill9', 'stop'] as const) {
    it(`loses a push's events when the registry dies (${death}) while the endpoint is down`, async () => {
      const { rec, reg, tmp } = await setUp({ receiverDown: true });
      const lost = await buildOciLayout(path.join(tmp, 'lost'), {
        seed: `lost-${death}-${Date.now()}`,
      });
      await pushLayout(reg, lost.dir, 'demo/lost:v1');
      // Proof the events were queued and failing, not merely not yet produced.
      await waitUntil(() => /retryingsink: error writing events/.test(reg.log()), {
        timeoutMs: 10_000,
        message: 'the registry logging failed deliveries',
      });

      const killedAt = performance.now();
      await (death === 'kill9' ? reg.kill9() : reg.stop());
      await reg.restart();
      await rec.reopen();
      const reopenedAt = performance.now();

      // Control: a push after the restart is delivered, so the path works. The queue is FIFO:
      // had the earlier events survived, they would arrive before these.
      const control = await buildOciLayout(path.join(tmp, 'control'), {
        seed: `control-${death}-${Date.now()}`,
      });
      await pushLayout(reg, control.dir, 'demo/control:v1');
      await rec.waitFor(3, 10_000);

      // And nothing of the lost push within 5 s of the endpoint coming back.
      const lostDigests = new Set([lost.manifestDigest, lost.configDigest, ...lost.layerDigests]);
      const mentionsLost = (): boolean =>
        rec.requests.some((req) => lostDigests.has(eventOf(req).target.digest ?? ''));
      while (performance.now() - reopenedAt < 5_000 && !mentionsLost()) await delay(100);

      expect(mentionsLost()).toBe(false);
      expect(describeEvents(rec.requests, digestNames(control))).toEqual([
        `push ${B} demo/control - layer0`,
        `push ${B} demo/control - config`,
        `push ${M} demo/control v1 manifest`,
      ]);
      console.log(
        `${death}: registry down+up in ${Math.round(reopenedAt - killedAt)} ms; ` +
          `0 of 3 pushed events delivered within 5 s; control push delivered`,
      );
    });
  }
});
