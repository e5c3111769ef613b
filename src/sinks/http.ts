import { SinkClosedError } from '../errors.js';
import { encodeEnvelope } from '../events/encode.js';
import { EventsMediaType } from '../events/types.js';
import type { Event, EventsMediaTypeName } from '../events/types.js';
import { HttpPoster } from './http-post.js';
import type { HttpPostOptions, PostResult } from './http-post.js';
import type { Sink } from './sink.js';
import { displayUrl } from './url-display.js';

export type { HttpSinkTls } from './http-transport.js';
export { UserAgent } from './http-post.js';
export type { HttpStatusListener, PostResult } from './http-post.js';

export interface HttpSinkOptions extends HttpPostOptions {
  /** The media type `write` encodes and sends. Default v1. */
  mediaType?: EventsMediaTypeName;
}

/**
 * HttpSink.post's options: HttpPoster's (./http-post.ts PostOptions) without signing, the media
 * type optional.
 */
export interface HttpSinkPostOptions {
  /** Content-Type; default the sink's media type. */
  mediaType?: string;
  /** Events in `body`, for the listeners. Default 1. */
  count?: number;
  signal?: AbortSignal;
}

/**
 * The notifications package's httpSink (docs/compatibility.md §4.8) as a Sink: each `write`
 * encodes one event and makes one attempt through an HttpPoster (./http-post.ts: redirects,
 * classification, the whole-attempt deadline, the keep-alive Agent). `write` calls are
 * serialised, as Go's mutex does: at most one request in flight per sink. A second `close`
 * returns the first (Go's reports `httpsink: already closed`; docs/compatibility.md §4.6).
 */
export class HttpSink implements Sink {
  private readonly poster: HttpPoster;
  private readonly mediaType: EventsMediaTypeName;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly url: string,
    options: HttpSinkOptions = {},
  ) {
    const { mediaType, ...post } = options;
    this.mediaType = mediaType ?? EventsMediaType;
    this.poster = new HttpPoster(url, post);
  }

  /** One event, one attempt; writes are serialised (Go's mutex): one in flight per sink. */
  async write(event: Event): Promise<void> {
    if (this.closed) throw new SinkClosedError('sink: closed');
    const run = this.tail.then(() => this.post(encodeEnvelope([event], this.mediaType)));
    this.tail = run.catch(() => undefined);
    const result = await run;
    if (!result.ok) throw result.error;
  }

  /**
   * Exactly one attempt (with its redirects); never rejects except after close. Not
   * serialised: the caller decides how many run at once.
   */
  post(body: string, options: HttpSinkPostOptions = {}): Promise<PostResult> {
    if (this.closed) return Promise.reject(new SinkClosedError('sink: closed'));
    return this.poster.post(body, { ...options, mediaType: options.mediaType ?? this.mediaType });
  }

  /** Waits for the write queue and the attempts in flight, then destroys the sink's own Agent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await this.tail;
      await this.poster.close();
    })();
    return this.closing;
  }

  toString(): string {
    return `httpSink{${displayUrl(this.url)}}`;
  }
}
