import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newBridge, withTag } from '../../../src/bridge/bridge.js';
import type { Listener } from '../../../src/bridge/bridge.js';
import { BlobMountedError, listen } from '../../../src/bridge/listener.js';
import type { RepositoryRemover } from '../../../src/bridge/listener.js';
import { MediaTypeDockerManifest } from '../../../src/bridge/manifest.js';
import { URLBuilder } from '../../../src/bridge/urls.js';
import type { Descriptor } from '../../../src/events/types.js';
import { silentLogger } from '../../../src/log.js';
import type { Logger } from '../../../src/log.js';
import { RecordingSink } from './fakes.js';
import { MemoryRegistry, UnknownError } from './memory-repository.js';

/** listener_test.go's testListener: counts `<kind>:<action>`. */
class CountingListener implements Listener {
  readonly ops: Record<string, number> = {};
  /** When set, every call rejects with it (after counting). */
  fail: Error | undefined;
  readonly calls: unknown[][] = [];

  private async count(op: string, ...args: unknown[]): Promise<void> {
    this.ops[op] = (this.ops[op] ?? 0) + 1;
    this.calls.push([op, ...args]);
    if (this.fail) throw this.fail;
  }

  manifestPushed = (repo: string) => this.count('manifest:push', repo);
  manifestPulled = (repo: string, _m: unknown, ...options: unknown[]) =>
    this.count('manifest:pull', repo, ...options);
  manifestDeleted = (repo: string) => this.count('manifest:delete', repo);
  blobPushed = (repo: string, desc: Descriptor) => this.count('layer:push', repo, desc);
  blobPulled = (repo: string, desc: Descriptor) => this.count('layer:pull', repo, desc);
  blobMounted = (repo: string, desc: Descriptor, from: string) =>
    this.count('layer:mount', repo, desc, from);
  blobDeleted = (repo: string) => this.count('layer:delete', repo);
  tagDeleted = (repo: string, tag: string) => this.count('tag:delete', repo, tag);
  repoDeleted = (repo: string) => this.count('repo:delete', repo);
}

/** Records the messages of error lines; other levels are discarded. */
class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  error(_obj: unknown, msg?: string): void {
    this.lines.push(msg ?? '');
  }
  fatal = silentLogger.fatal;
  warn = silentLogger.warn;
  info = silentLogger.info;
  debug = silentLogger.debug;
  child(): Logger {
    return this;
  }
}

function setup(name = 'foo/bar') {
  const registry = new MemoryRegistry();
  const listener = new CountingListener();
  const logger = new MemoryLogger();
  const wrapped = listen(registry.repository(name), registry, listener, logger);
  const remover = wrapped.remover as RepositoryRemover;
  return { registry, listener, logger, repository: wrapped.repository, remover, name };
}

const sha256 = (b: Uint8Array | string): string =>
  `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('listen (listener_test.go TestListener)', () => {
  it('reports each successful operation once', async () => {
    const { listener, logger, repository, remover, name } = setup();
    const blobs = repository.blobs();
    const digests: Descriptor[] = [];

    // 1. The config blob via create, resume and commit, then open.
    const config = Buffer.from('{"name": "foo"}');
    const created = await blobs.create();
    await created.write(config);
    const resumed = await blobs.resume(created.id);
    digests.push(await resumed.commit({ digest: sha256(config) }));
    await blobs.open(sha256(config));

    // 2. Two random layers, each pushed then opened.
    for (let i = 0; i < 2; i++) {
      const layer = randomBytes(512);
      const w = await blobs.create();
      await w.write(layer);
      digests.push(await w.commit({ digest: sha256(layer) }));
      await blobs.open(sha256(layer));
    }

    // 3. A schema2 manifest over them.
    const [cfg, ...layers] = digests as [Descriptor, ...Descriptor[]];
    const payload = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaTypeDockerManifest,
      config: { ...cfg, mediaType: 'application/vnd.docker.container.image.v1+json' },
      layers,
    });
    const manifests = repository.manifests();
    const dgst = await manifests.put({ mediaType: MediaTypeDockerManifest, payload });
    expect(dgst).toBe(sha256(payload));

    // 4.–6.
    const tags = repository.tags();
    await tags.tag('thetag', { mediaType: MediaTypeDockerManifest, digest: dgst, size: 1 });
    await manifests.get(dgst);
    await tags.untag('thetag');
    await manifests.delete(dgst);
    for (const d of digests) await blobs.delete(d.digest);
    await remover.remove(name);

    expect(listener.ops).toEqual({
      'manifest:push': 1,
      'manifest:pull': 1,
      'manifest:delete': 1,
      'layer:push': 3,
      'layer:pull': 3,
      'layer:delete': 3,
      'tag:delete': 1,
      'repo:delete': 1,
    });
    expect(logger.lines).toEqual([]);
  });

  it('reports pulls through get and serveBlob with the stat descriptor', async () => {
    const { listener, repository, name } = setup();
    const blobs = repository.blobs();
    const desc = await blobs.put('application/octet-stream', Buffer.from('hello'));
    await blobs.get(desc.digest);
    await blobs.serveBlob(desc.digest);
    expect(listener.calls).toEqual([
      ['layer:push', name, desc],
      ['layer:pull', name, desc],
      ['layer:pull', name, desc],
    ]);
  });

  it('passes manifest options through to the listener', async () => {
    const { listener, repository } = setup();
    const payload = JSON.stringify({ schemaVersion: 2, mediaType: MediaTypeDockerManifest });
    const dgst = await repository.manifests().put({ mediaType: MediaTypeDockerManifest, payload });
    await repository.manifests().get(dgst, withTag('v1'));
    expect(listener.calls.at(-1)).toEqual(['manifest:pull', 'foo/bar', { tag: 'v1' }]);
  });
});

describe('listen: mounts, failures and listener errors', () => {
  it('reports a cross-repository mount and still rethrows BlobMountedError', async () => {
    const registry = new MemoryRegistry();
    const src = registry.repository('src/repo');
    const desc = await src.blobs().put('application/octet-stream', Buffer.from('layer'));
    const listener = new CountingListener();
    const { repository } = listen(registry.repository('dst/repo'), undefined, listener);
    const mount = repository
      .blobs()
      .create({ mountFrom: { repo: 'src/repo', digest: desc.digest } });
    await expect(mount).rejects.toBeInstanceOf(BlobMountedError);
    expect(listener.calls).toEqual([['layer:mount', 'dst/repo', desc, 'src/repo']]);
  });

  it('reports nothing for an operation that fails', async () => {
    const { listener, repository, remover } = setup();
    const missing = sha256('missing');
    await expect(repository.manifests().get(missing)).rejects.toBeInstanceOf(UnknownError);
    await expect(repository.manifests().delete(missing)).rejects.toBeInstanceOf(UnknownError);
    await expect(repository.blobs().open(missing)).rejects.toBeInstanceOf(UnknownError);
    await expect(repository.blobs().delete(missing)).rejects.toBeInstanceOf(UnknownError);
    await expect(repository.tags().untag('nope')).rejects.toBeInstanceOf(UnknownError);
    await expect(remover.remove('never/was')).rejects.toBeInstanceOf(UnknownError);
    expect(listener.calls).toEqual([]);
  });

  it('logs a stat failure after a read and reports no pull', async () => {
    const { registry, listener, logger, repository } = setup();
    const desc = await repository.blobs().put('application/octet-stream', Buffer.from('x'));
    registry.failStat = true;
    await expect(repository.blobs().open(desc.digest)).resolves.toBeDefined();
    expect(listener.ops['layer:pull']).toBeUndefined();
    expect(logger.lines).toEqual([
      `error resolving descriptor in ServeBlob listener: blob unknown: ${desc.digest}`,
    ]);
  });

  it('logs and swallows listener errors on ordinary operations', async () => {
    const { listener, logger, repository } = setup();
    listener.fail = new Error('boom');
    const desc = await repository.blobs().put('application/octet-stream', Buffer.from('y'));
    await expect(repository.blobs().delete(desc.digest)).resolves.toBeUndefined();
    expect(logger.lines).toEqual([
      'error dispatching layer push to listener: boom',
      'error dispatching layer delete to listener: boom',
    ]);
  });

  it('rejects untag and remove with the listener error, after the operation', async () => {
    const { listener, logger, repository, remover, name } = setup();
    const tags = repository.tags();
    await tags.tag('t', { mediaType: '', digest: sha256('m'), size: 0 });
    listener.fail = new Error('listener down');
    await expect(tags.untag('t')).rejects.toThrow('listener down');
    expect(await tags.all()).toEqual([]);
    await expect(remover.remove(name)).rejects.toThrow('listener down');
    expect(logger.lines).toEqual([
      'error dispatching tag delete to listener: listener down',
      'error dispatching repo deletion to listener: listener down',
    ]);
  });
});

describe('listen with the Bridge', () => {
  it('writes complete events for a push and a pull', async () => {
    const registry = new MemoryRegistry();
    const sink = new RecordingSink();
    const ub = URLBuilder.fromString('https://reg.example/');
    const bridge = newBridge(
      ub,
      { addr: 'h:5000' },
      { name: 'u' },
      { id: 'r', method: 'PUT', useragent: '' },
      sink,
    );
    const { repository } = listen(registry.repository('lib/app'), undefined, bridge);
    const desc = await repository.blobs().put('application/octet-stream', Buffer.from('z'));
    await repository.blobs().get(desc.digest);
    expect(sink.events.map((e) => e.action)).toEqual(['push', 'pull']);
    expect(sink.events[0]?.target).toEqual({
      ...desc,
      length: 1,
      repository: 'lib/app',
      url: `https://reg.example/v2/lib/app/blobs/${desc.digest}`,
    });
  });
});
