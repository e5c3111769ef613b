import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Bridge, newBridge, withTag } from '../../../src/bridge/bridge.js';
import {
  MediaTypeDockerManifestList,
  MediaTypeOCIIndex,
  MediaTypeOCIManifest,
} from '../../../src/bridge/manifest.js';
import type { Manifest } from '../../../src/bridge/manifest.js';
import { URLBuilder } from '../../../src/bridge/urls.js';
import { uuidv7 } from '../../../src/bridge/uuid.js';
import { InvalidReferenceError, ManifestError } from '../../../src/errors.js';
import { encodeEvent } from '../../../src/events/encode.js';
import { EventsMediaTypeV2 } from '../../../src/events/types.js';
import type { Event, RequestRecord } from '../../../src/events/types.js';
import { RecordingSink } from './fakes.js';

// The fixtures of distribution's notifications/bridge_test.go (docs/compatibility.md §8.1).
const repo = 'test/repo';
const source = { addr: 'remote.test', instanceID: uuidv7() };
const ub = URLBuilder.fromString('http://test.example.com/');
const actor = { name: 'test' };
const request: RequestRecord = { id: '', method: '', useragent: '' };
const tag = 'latest';

// createTestEnv: a schema2-package manifest carrying the OCI media type, as Go marshals it.
const payload = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaTypeOCIManifest,
  config: { mediaType: 'application/vnd.example.sbom.v1', size: 100, digest: 'cfgdgst' },
  layers: null,
});
const dgst = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
const sm: Manifest = { mediaType: MediaTypeOCIManifest, payload };

function createTestEnv(): { bridge: Bridge; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { bridge: newBridge(ub, source, actor, request, sink, true), sink };
}

function checkCommon(event: Event): void {
  expect(event.source).toEqual(source);
  expect(event.request).toEqual(request);
  expect(event.actor).toEqual(actor);
  expect(event.target.digest).toBe(dgst);
  expect(event.target.length).toBe(Buffer.byteLength(payload));
  expect(event.target.repository).toBe(repo);
}

function checkCommonManifest(action: string, event: Event): void {
  checkCommon(event);
  expect(event.action).toBe(action);
  expect(event.target.url).toBe(ub.buildManifestURL(repo, dgst));
  expect(event.target.url).toBe(`http://test.example.com/v2/test/repo/manifests/${dgst}`);
}

function checkDeleted(event: Event): void {
  expect(event.source).toEqual(source);
  expect(event.request).toEqual(request);
  expect(event.actor).toEqual(actor);
  expect(event.target.repository).toBe(repo);
  expect(event.action).toBe('delete');
}

describe('Bridge (bridge_test.go)', () => {
  it('ManifestPulled', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestPulled(repo, sm);
    const event = sink.only();
    checkCommonManifest('pull', event);
    expect(event.target.tag).toBeUndefined();
  });

  it('ManifestPushed', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestPushed(repo, sm);
    const event = sink.only();
    checkCommonManifest('push', event);
    expect(event.target.mediaType).toBe(MediaTypeOCIManifest);
    expect(event.target.size).toBe(Buffer.byteLength(payload));
    expect(event.target.references).toEqual([
      { mediaType: 'application/vnd.example.sbom.v1', digest: 'cfgdgst', size: 100 },
    ]);
  });

  it('ManifestPushedWithTag', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestPushed(repo, sm, withTag(tag));
    const event = sink.only();
    checkCommonManifest('push', event);
    expect(event.target.tag).toBe(tag);
  });

  it('ManifestPulledWithTag', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestPulled(repo, sm, withTag(tag));
    const event = sink.only();
    checkCommonManifest('pull', event);
    expect(event.target.tag).toBe(tag);
  });

  it('takes the tag from the first tag option only, ignoring other options', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestPushed(repo, sm, { other: 1 }, withTag('first'), withTag('second'));
    expect(sink.only().target.tag).toBe('first');
  });

  it('ManifestDeleted', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.manifestDeleted(repo, dgst);
    const event = sink.only();
    checkDeleted(event);
    expect(event.target).toEqual({ mediaType: '', digest: dgst, size: 0, repository: repo });
  });

  it('TagDeleted', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.tagDeleted(repo, tag);
    const event = sink.only();
    checkDeleted(event);
    expect(event.target).toEqual({ mediaType: '', digest: '', size: 0, repository: repo, tag });
  });

  it('RepoDeleted', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.repoDeleted(repo);
    const event = sink.only();
    checkDeleted(event);
    expect(event.target).toEqual({ mediaType: '', digest: '', size: 0, repository: repo });
  });

  it('BlobDeleted carries digest and repository only', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.blobDeleted(repo, dgst);
    expect(sink.only().target).toEqual({ mediaType: '', digest: dgst, size: 0, repository: repo });
  });
});

describe('Bridge blob events', () => {
  const blob = {
    mediaType: 'application/octet-stream',
    digest: `sha256:${'a'.repeat(64)}`,
    size: 1234,
    annotations: { k: 'v' },
    urls: ['https://mirror.example/blob'],
  };
  const blobURL = `http://test.example.com/v2/test/repo/blobs/${blob.digest}`;

  it('push and pull copy the whole descriptor and add length, repository and url', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.blobPushed(repo, blob);
    await bridge.blobPulled(repo, blob);
    const [push, pull] = sink.events;
    expect(push?.action).toBe('push');
    expect(pull?.action).toBe('pull');
    for (const e of sink.events) {
      expect(e.target).toEqual({ ...blob, length: 1234, repository: repo, url: blobURL });
    }
  });

  it('mount adds fromRepository and keeps the target repository', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.blobMounted(repo, blob, 'other/repo');
    const event = sink.only();
    expect(event.action).toBe('mount');
    expect(event.target.repository).toBe(repo);
    expect(event.target.fromRepository).toBe('other/repo');
    expect(event.target.url).toBe(blobURL);
  });

  it('rejects and writes nothing for an invalid blob digest or repository name', async () => {
    const { bridge, sink } = createTestEnv();
    await expect(bridge.blobPushed(repo, { ...blob, digest: '' })).rejects.toBeInstanceOf(
      InvalidReferenceError,
    );
    await expect(bridge.blobPulled('Bad/Repo', blob)).rejects.toBeInstanceOf(InvalidReferenceError);
    expect(sink.events).toHaveLength(0);
  });
});

describe('Bridge event construction', () => {
  it('sets id, timestamp and copies of the records from the injected functions', async () => {
    const sink = new RecordingSink();
    const bridge = new Bridge({
      urlBuilder: ub,
      source,
      actor,
      request: { id: 'req-1', method: 'PUT', useragent: 'ua' },
      sink,
      newId: () => 'event-1',
      now: () => '2025-01-02T03:04:05.6Z',
    });
    await bridge.manifestPushed(repo, sm);
    const event = sink.only();
    expect(event.id).toBe('event-1');
    expect(event.timestamp).toBe('2025-01-02T03:04:05.6Z');
    expect(event.request).toEqual({ id: 'req-1', method: 'PUT', useragent: 'ua' });
    // includeReferences defaults to false, as in Go's configuration.
    expect(event.target.references).toBeUndefined();
  });

  it('uses UUIDv7 ids and RFC3339Nano UTC timestamps by default', async () => {
    const { bridge, sink } = createTestEnv();
    await bridge.repoDeleted(repo);
    await bridge.repoDeleted(repo);
    const [a, b] = sink.events;
    expect(a?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a?.id).not.toBe(b?.id);
    expect(a?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  });

  it('encodes a manifest push the way the Go v3 registry does', async () => {
    const sink = new RecordingSink();
    const bridge = new Bridge({
      urlBuilder: ub,
      source,
      actor,
      request,
      sink,
      includeReferences: true,
      newId: () => 'id1',
      now: () => '2025-01-02T03:04:05Z',
    });
    await bridge.manifestPushed(repo, sm, withTag(tag));
    const wire = JSON.parse(encodeEvent(sink.only(), EventsMediaTypeV2)) as Event;
    expect(Object.keys(wire.target)).toEqual([
      'mediaType',
      'digest',
      'size',
      'length',
      'repository',
      'url',
      'tag',
      'references',
    ]);
  });

  it("lists a manifest list's references with platforms, and omits an empty list", async () => {
    const { bridge, sink } = createTestEnv();
    const entry = { mediaType: MediaTypeOCIManifest, digest: `sha256:${'e'.repeat(64)}`, size: 5 };
    const list = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypeDockerManifestList,
      manifests: [{ ...entry, platform: { architecture: 'amd64', os: 'linux', features: ['x'] } }],
    });
    await bridge.manifestPushed(repo, { mediaType: MediaTypeDockerManifestList, payload: list });
    const index = JSON.stringify({ schemaVersion: 2, manifests: [] });
    await bridge.manifestPushed(repo, { mediaType: MediaTypeOCIIndex, payload: index });
    const [fromList, fromIndex] = sink.events;
    expect(fromList?.target.references).toEqual([
      { ...entry, platform: { architecture: 'amd64', os: 'linux' } },
    ]);
    expect(fromIndex?.target).not.toHaveProperty('references');
  });

  it('rejects and writes nothing for an undescribable manifest', async () => {
    const { bridge, sink } = createTestEnv();
    await expect(
      bridge.manifestPushed(repo, { mediaType: 'text/plain', payload: '{}' }),
    ).rejects.toBeInstanceOf(ManifestError);
    await expect(
      bridge.manifestPulled(repo, { mediaType: MediaTypeOCIManifest, payload: '{not json' }),
    ).rejects.toBeInstanceOf(ManifestError);
    expect(sink.events).toHaveLength(0);
  });

  it('passes the sink rejection back to the caller', async () => {
    const { bridge, sink } = createTestEnv();
    sink.fail = new Error('sink: closed');
    await expect(bridge.tagDeleted(repo, tag)).rejects.toThrow('sink: closed');
  });
});
