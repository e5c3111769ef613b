import { createHash } from 'node:crypto';
import { describeManifest } from '../../../src/bridge/manifest.js';
import type { Manifest } from '../../../src/bridge/manifest.js';
import { BlobMountedError } from '../../../src/bridge/listener.js';
import type {
  BlobCreateOptions,
  BlobStore,
  BlobWriter,
  ManifestService,
  Repository,
  RepositoryRemover,
  TagService,
} from '../../../src/bridge/listener.js';
import { BlobMediaType } from '../../../src/events/types.js';
import type { Descriptor } from '../../../src/events/types.js';

/** Thrown for anything the in-memory store does not have (Go's ErrBlobUnknown and friends). */
export class UnknownError extends Error {}

interface RepoData {
  blobs: Map<string, Uint8Array>;
  manifests: Map<string, Manifest>;
  tags: Map<string, Descriptor>;
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An in-memory registry in the spirit of distribution's `inmemory` storage driver: enough of
 * the repository interfaces for the listener tests, with cross-repository mounts.
 */
export class MemoryRegistry implements RepositoryRemover {
  private readonly repos = new Map<string, RepoData>();
  private readonly uploads = new Map<string, { repo: string; chunks: Uint8Array[] }>();
  private nextUpload = 0;
  /** When set, `stat` rejects (to test the listener's stat-failure path). */
  failStat = false;

  repository(name: string): Repository {
    return {
      name,
      manifests: () => this.manifests(name),
      blobs: () => this.blobs(name),
      tags: () => this.tags(name),
    };
  }

  async remove(name: string): Promise<void> {
    if (!this.repos.delete(name)) throw new UnknownError(`repository unknown: ${name}`);
  }

  private data(name: string): RepoData {
    let d = this.repos.get(name);
    if (!d) {
      d = { blobs: new Map(), manifests: new Map(), tags: new Map() };
      this.repos.set(name, d);
    }
    return d;
  }

  private manifests(name: string): ManifestService {
    return {
      get: async (digest) => {
        const m = this.data(name).manifests.get(digest);
        if (!m) throw new UnknownError(`manifest unknown: ${digest}`);
        return m;
      },
      put: async (manifest) => {
        const { digest } = describeManifest(manifest);
        this.data(name).manifests.set(digest, manifest);
        return digest;
      },
      delete: async (digest) => {
        if (!this.data(name).manifests.delete(digest)) {
          throw new UnknownError(`manifest unknown: ${digest}`);
        }
      },
    };
  }

  private blobs(name: string): BlobStore {
    const stat = async (digest: string): Promise<Descriptor> => {
      const b = this.data(name).blobs.get(digest);
      if (this.failStat || !b) throw new UnknownError(`blob unknown: ${digest}`);
      return { mediaType: BlobMediaType, digest, size: b.byteLength };
    };
    const get = async (digest: string): Promise<Uint8Array> => {
      const b = this.data(name).blobs.get(digest);
      if (!b) throw new UnknownError(`blob unknown: ${digest}`);
      return b;
    };
    return {
      stat,
      get,
      open: get,
      serveBlob: async (digest) => {
        await get(digest);
      },
      put: async (_mediaType, payload) => {
        const digest = sha256(payload);
        this.data(name).blobs.set(digest, payload);
        return { mediaType: BlobMediaType, digest, size: payload.byteLength };
      },
      create: async (options?: BlobCreateOptions) => {
        const from = options?.mountFrom;
        const source = from && this.repos.get(from.repo)?.blobs.get(from.digest);
        if (from && source) {
          this.data(name).blobs.set(from.digest, source);
          const desc = { mediaType: BlobMediaType, digest: from.digest, size: source.byteLength };
          throw new BlobMountedError(from.repo, desc);
        }
        const id = `upload-${this.nextUpload++}`;
        this.uploads.set(id, { repo: name, chunks: [] });
        return this.writer(id);
      },
      resume: async (id) => {
        if (!this.uploads.has(id)) throw new UnknownError(`upload unknown: ${id}`);
        return this.writer(id);
      },
      delete: async (digest) => {
        if (!this.data(name).blobs.delete(digest))
          throw new UnknownError(`blob unknown: ${digest}`);
      },
    };
  }

  private writer(id: string): BlobWriter {
    const upload = (): { repo: string; chunks: Uint8Array[] } => {
      const u = this.uploads.get(id);
      if (!u) throw new UnknownError(`upload unknown: ${id}`);
      return u;
    };
    return {
      id,
      write: async (chunk) => {
        upload().chunks.push(chunk);
        return chunk.byteLength;
      },
      commit: async (desc) => {
        const { repo, chunks } = upload();
        const bytes = Buffer.concat(chunks);
        const digest = sha256(bytes);
        if (desc.digest !== undefined && desc.digest !== digest) {
          throw new Error(`digest mismatch: ${desc.digest} != ${digest}`);
        }
        this.uploads.delete(id);
        this.data(repo).blobs.set(digest, bytes);
        return { mediaType: BlobMediaType, digest, size: bytes.byteLength };
      },
      cancel: async () => {
        this.uploads.delete(id);
      },
    };
  }

  private tags(name: string): TagService {
    return {
      tag: async (tag, desc) => {
        this.data(name).tags.set(tag, desc);
      },
      get: async (tag) => {
        const d = this.data(name).tags.get(tag);
        if (!d) throw new UnknownError(`tag unknown: ${tag}`);
        return d;
      },
      untag: async (tag) => {
        if (!this.data(name).tags.delete(tag)) throw new UnknownError(`tag unknown: ${tag}`);
      },
      all: async () => [...this.data(name).tags.keys()],
    };
  }
}
