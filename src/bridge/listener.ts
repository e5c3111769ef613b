import { RegnotifyError, toError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Logger } from '../log.js';
import type { Descriptor } from '../events/types.js';
import type { Listener, ManifestOption } from './bridge.js';
import type { Manifest } from './manifest.js';

/**
 * A minimal async mirror of distribution's repository interfaces — just enough for `listen` to
 * report every operation the Go `notifications.Listen` reports (docs/compatibility.md §3).
 */
export interface ManifestService {
  get(digest: string, ...options: ManifestOption[]): Promise<Manifest>;
  /** Resolves with the manifest's digest. */
  put(manifest: Manifest, ...options: ManifestOption[]): Promise<string>;
  delete(digest: string): Promise<void>;
}

export interface BlobWriter {
  readonly id: string;
  /** Appends bytes; resolves with the number written. */
  write(chunk: Uint8Array): Promise<number>;
  /** Resolves with the canonical descriptor of the stored blob. */
  commit(desc: Partial<Descriptor>): Promise<Descriptor>;
  cancel(): Promise<void>;
}

export interface BlobCreateOptions {
  /** Cross-repository mount; success is signalled by `create` throwing BlobMountedError. */
  mountFrom?: { repo: string; digest: string };
}

export interface BlobStore {
  stat(digest: string): Promise<Descriptor>;
  get(digest: string): Promise<Uint8Array>;
  open(digest: string): Promise<unknown>;
  serveBlob(digest: string, w?: unknown, r?: unknown): Promise<void>;
  put(mediaType: string, payload: Uint8Array): Promise<Descriptor>;
  create(options?: BlobCreateOptions): Promise<BlobWriter>;
  resume(id: string): Promise<BlobWriter>;
  delete(digest: string): Promise<void>;
}

export interface TagService {
  tag(tag: string, desc: Descriptor): Promise<void>;
  get(tag: string): Promise<Descriptor>;
  untag(tag: string): Promise<void>;
  all(): Promise<string[]>;
}

export interface Repository {
  readonly name: string;
  manifests(): ManifestService;
  blobs(): BlobStore;
  tags(): TagService;
}

export interface RepositoryRemover {
  remove(name: string): Promise<void>;
}

/**
 * `distribution.ErrBlobMounted`: not a failure but how a store says "no upload needed, the blob
 * was mounted from `from`". The HTTP layer turns it into 201 Created.
 */
export class BlobMountedError extends RegnotifyError {
  readonly from: string;
  readonly descriptor: Descriptor;
  constructor(from: string, descriptor: Descriptor) {
    super('ERR_BLOB_MOUNTED', `blob mounted from: ${from} to: ${descriptor.digest}`);
    this.from = from;
    this.descriptor = descriptor;
  }
}

let fallbackLogger: Logger | undefined;

/**
 * Without a logger, `listen` logs to a JSON logger on stdout (createLogger's): a listener error
 * means an event the registry will never see, which must not pass in silence (Go logs it with
 * the request context's logger).
 */
function defaultLogger(): Logger {
  return (fallbackLogger ??= createLogger());
}

/**
 * Go's `notifications.Listen`: wrap a repository (and its remover) so each successful
 * operation is reported to `listener`. Listener errors are logged and swallowed — the
 * operation already happened — except for `untag` and `remove`, which reject with them, as
 * upstream does.
 */
export function listen(
  repository: Repository,
  remover: RepositoryRemover | undefined,
  listener: Listener,
  logger: Logger = defaultLogger(),
): { repository: Repository; remover?: RepositoryRemover } {
  const ctx: ListenContext = { name: repository.name, listener, logger };
  const wrapped: Repository = {
    name: repository.name,
    manifests: () => manifestsListener(repository.manifests(), ctx),
    blobs: () => blobsListener(repository.blobs(), ctx),
    tags: () => tagsListener(repository.tags(), ctx),
  };
  if (!remover) return { repository: wrapped };
  return {
    repository: wrapped,
    remover: {
      async remove(name) {
        await remover.remove(name);
        await reportOrThrow(ctx, 'error dispatching repo deletion to listener', () =>
          listener.repoDeleted(name),
        );
      },
    },
  };
}

interface ListenContext {
  name: string;
  listener: Listener;
  logger: Logger;
}

/** Call the listener; log and swallow its error. */
async function report(ctx: ListenContext, message: string, call: () => Promise<void>) {
  try {
    await call();
  } catch (err) {
    const e = toError(err);
    ctx.logger.error({ err: e }, `${message}: ${e.message}`);
  }
}

/** Call the listener; log its error and pass it on. */
async function reportOrThrow(ctx: ListenContext, message: string, call: () => Promise<void>) {
  try {
    await call();
  } catch (err) {
    const e = toError(err);
    ctx.logger.error({ err: e }, `${message}: ${e.message}`);
    throw e;
  }
}

function manifestsListener(inner: ManifestService, ctx: ListenContext): ManifestService {
  const { name, listener } = ctx;
  return {
    async get(digest, ...options) {
      const m = await inner.get(digest, ...options);
      await report(ctx, 'error dispatching manifest pull to listener', () =>
        listener.manifestPulled(name, m, ...options),
      );
      return m;
    },
    async put(manifest, ...options) {
      const digest = await inner.put(manifest, ...options);
      await report(ctx, 'error dispatching manifest push to listener', () =>
        listener.manifestPushed(name, manifest, ...options),
      );
      return digest;
    },
    async delete(digest) {
      await inner.delete(digest);
      await report(ctx, 'error dispatching manifest delete to listener', () =>
        listener.manifestDeleted(name, digest),
      );
    },
  };
}

function tagsListener(inner: TagService, ctx: ListenContext): TagService {
  return {
    tag: (tag, desc) => inner.tag(tag, desc),
    get: (tag) => inner.get(tag),
    all: () => inner.all(),
    async untag(tag) {
      await inner.untag(tag);
      // The tag is gone either way; upstream still hands the caller the listener's error.
      await reportOrThrow(ctx, 'error dispatching tag delete to listener', () =>
        ctx.listener.tagDeleted(ctx.name, tag),
      );
    },
  };
}

function blobsListener(inner: BlobStore, ctx: ListenContext): BlobStore {
  const { name, listener } = ctx;
  // Reads report the blob's descriptor, which only a stat can give.
  const pulled = async (digest: string): Promise<void> => {
    let desc: Descriptor;
    try {
      desc = await inner.stat(digest);
    } catch (err) {
      const e = toError(err);
      ctx.logger.error(
        { err: e },
        `error resolving descriptor in ServeBlob listener: ${e.message}`,
      );
      return;
    }
    await report(ctx, 'error dispatching layer pull to listener', () =>
      listener.blobPulled(name, desc),
    );
  };
  return {
    stat: (digest) => inner.stat(digest),
    async get(digest) {
      const bytes = await inner.get(digest);
      await pulled(digest);
      return bytes;
    },
    async open(digest) {
      const reader = await inner.open(digest);
      await pulled(digest);
      return reader;
    },
    async serveBlob(digest, w, r) {
      await inner.serveBlob(digest, w, r);
      await pulled(digest);
    },
    async put(mediaType, payload) {
      const desc = await inner.put(mediaType, payload);
      await report(ctx, 'error dispatching layer push to listener', () =>
        listener.blobPushed(name, desc),
      );
      return desc;
    },
    async create(options) {
      try {
        return writerListener(await inner.create(options), ctx);
      } catch (err) {
        if (err instanceof BlobMountedError) {
          await report(ctx, 'error dispatching blob mount to listener', () =>
            listener.blobMounted(name, err.descriptor, err.from),
          );
        }
        throw err;
      }
    },
    async resume(id) {
      return writerListener(await inner.resume(id), ctx);
    },
    async delete(digest) {
      await inner.delete(digest);
      await report(ctx, 'error dispatching layer delete to listener', () =>
        listener.blobDeleted(name, digest),
      );
    },
  };
}

function writerListener(inner: BlobWriter, ctx: ListenContext): BlobWriter {
  return {
    id: inner.id,
    write: (chunk) => inner.write(chunk),
    cancel: () => inner.cancel(),
    async commit(desc) {
      const committed = await inner.commit(desc);
      await report(ctx, 'error dispatching blob push to listener', () =>
        ctx.listener.blobPushed(ctx.name, committed),
      );
      return committed;
    },
  };
}
