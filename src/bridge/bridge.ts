import {
  EventActionDelete,
  EventActionMount,
  EventActionPull,
  EventActionPush,
} from '../events/types.js';
import type {
  ActorRecord,
  Descriptor,
  Event,
  EventAction,
  RequestRecord,
  SourceRecord,
  Target,
} from '../events/types.js';
import { nowTimestamp } from '../events/timestamp.js';
import type { Sink } from '../sinks/sink.js';
import { describeManifest } from './manifest.js';
import type { Manifest } from './manifest.js';
import type { URLBuilder } from './urls.js';
import { uuidv7 } from './uuid.js';

/** `distribution.WithTagOption`: the tag a manifest was pushed or pulled by. */
export interface TagOption {
  tag: string;
}

/** A manifest-service option. Only tag options matter to events; others are passed through. */
export type ManifestOption = TagOption | Record<string, unknown>;

export function withTag(tag: string): TagOption {
  return { tag };
}

/** The tag of the FIRST tag option, as the Go bridge takes it; later ones are ignored. */
export function tagFromOptions(options: readonly ManifestOption[]): string | undefined {
  for (const option of options) {
    if (typeof option.tag === 'string') return option.tag;
  }
  return undefined;
}

/** The Go `notifications.Listener`: one method per registry operation worth an event. */
export interface Listener {
  manifestPushed(repo: string, manifest: Manifest, ...options: ManifestOption[]): Promise<void>;
  manifestPulled(repo: string, manifest: Manifest, ...options: ManifestOption[]): Promise<void>;
  manifestDeleted(repo: string, digest: string): Promise<void>;
  blobPushed(repo: string, desc: Descriptor): Promise<void>;
  blobPulled(repo: string, desc: Descriptor): Promise<void>;
  blobMounted(repo: string, desc: Descriptor, fromRepo: string): Promise<void>;
  blobDeleted(repo: string, digest: string): Promise<void>;
  tagDeleted(repo: string, tag: string): Promise<void>;
  repoDeleted(repo: string): Promise<void>;
}

export interface BridgeOptions {
  urlBuilder: URLBuilder;
  source: SourceRecord;
  actor: ActorRecord;
  request: RequestRecord;
  sink: Sink;
  /** `notifications.events.includereferences`: list a manifest's references in its events. */
  includeReferences?: boolean;
  /** Event id generator (default UUIDv7, as registry 3.1). */
  newId?: () => string;
  /** Event timestamp (default now, RFC3339Nano). */
  now?: () => string;
}

/**
 * The Go `notifications.Bridge`: turns listener calls into events written to a sink. Built per
 * request (its URL builder, actor and request record are that request's). Every method
 * resolves or rejects with the sink's `write`; a manifest that cannot be described or a URL
 * that cannot be built rejects before anything is written.
 */
export class Bridge implements Listener {
  private readonly options: Required<BridgeOptions>;

  constructor(options: BridgeOptions) {
    this.options = {
      includeReferences: false,
      newId: () => uuidv7(),
      now: nowTimestamp,
      ...options,
    };
  }

  async manifestPushed(repo: string, m: Manifest, ...options: ManifestOption[]): Promise<void> {
    return this.writeManifestEvent(EventActionPush, repo, m, options);
  }

  async manifestPulled(repo: string, m: Manifest, ...options: ManifestOption[]): Promise<void> {
    return this.writeManifestEvent(EventActionPull, repo, m, options);
  }

  async manifestDeleted(repo: string, digest: string): Promise<void> {
    return this.write(EventActionDelete, { mediaType: '', digest, size: 0, repository: repo });
  }

  async blobPushed(repo: string, desc: Descriptor): Promise<void> {
    return this.write(EventActionPush, this.blobTarget(repo, desc));
  }

  async blobPulled(repo: string, desc: Descriptor): Promise<void> {
    return this.write(EventActionPull, this.blobTarget(repo, desc));
  }

  async blobMounted(repo: string, desc: Descriptor, fromRepo: string): Promise<void> {
    const target = this.blobTarget(repo, desc);
    target.fromRepository = fromRepo;
    return this.write(EventActionMount, target);
  }

  async blobDeleted(repo: string, digest: string): Promise<void> {
    return this.write(EventActionDelete, { mediaType: '', digest, size: 0, repository: repo });
  }

  async tagDeleted(repo: string, tag: string): Promise<void> {
    return this.write(EventActionDelete, {
      mediaType: '',
      digest: '',
      size: 0,
      repository: repo,
      tag,
    });
  }

  async repoDeleted(repo: string): Promise<void> {
    return this.write(EventActionDelete, { mediaType: '', digest: '', size: 0, repository: repo });
  }

  private async writeManifestEvent(
    action: EventAction,
    repo: string,
    m: Manifest,
    options: readonly ManifestOption[],
  ): Promise<void> {
    const d = describeManifest(m);
    const target: Target = {
      mediaType: d.mediaType,
      digest: d.digest,
      size: d.size,
      length: d.size,
      repository: repo,
      // Always by digest, never by tag, as upstream.
      url: this.options.urlBuilder.buildManifestURL(repo, d.digest),
    };
    const tag = tagFromOptions(options);
    if (tag !== undefined && tag !== '') target.tag = tag;
    if (this.options.includeReferences && d.references.length > 0) {
      target.references = d.references;
    }
    return this.write(action, target);
  }

  /** The descriptor copied whole (it is the blob's own), plus where it lives. */
  private blobTarget(repo: string, desc: Descriptor): Target {
    const url = this.options.urlBuilder.buildBlobURL(repo, desc.digest);
    return { ...desc, length: desc.size, repository: repo, url };
  }

  private async write(action: EventAction, target: Target): Promise<void> {
    const { source, actor, request, sink, newId, now } = this.options;
    const event: Event = {
      id: newId(),
      timestamp: now(),
      action,
      target,
      request: { ...request },
      actor: { ...actor },
      source: { ...source },
    };
    return sink.write(event);
  }
}

/** Go's `NewBridge(ub, source, actor, request, sink, includeReferences)`. */
export function newBridge(
  urlBuilder: URLBuilder,
  source: SourceRecord,
  actor: ActorRecord,
  request: RequestRecord,
  sink: Sink,
  includeReferences = false,
): Bridge {
  return new Bridge({ urlBuilder, source, actor, request, sink, includeReferences });
}
