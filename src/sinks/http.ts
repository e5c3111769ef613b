import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import {
  HttpStatusError,
  HttpTransportError,
  SinkClosedError,
  AlreadyClosedError,
  toError,
} from '../errors.js';
import { encodeEnvelope } from '../events/encode.js';
import { EventsMediaType } from '../events/types.js';
import type { Event, EventsMediaTypeName } from '../events/types.js';
import { nextHop, retryAfterMs } from './http-response.js';
import type { Sink } from './sink.js';

export const UserAgent = 'regnotify/0.1';

/** Observes each HTTP attempt; `count` is the number of events in the envelope. */
export interface HttpStatusListener {
  /** A final status 200–399. */
  success(status: number, count: number): void;
  /** Any other final status. */
  failure(status: number, count: number): void;
  /** No final status: transport error, TLS error, timeout, too many redirects. */
  err(error: Error, count: number): void;
}

export interface HttpSinkTls {
  /** PEM CA bundle trusted instead of the system's. */
  ca?: string;
  /** PEM client certificate and key. */
  cert?: string;
  key?: string;
  insecureSkipVerify?: boolean;
}

export interface HttpSinkOptions {
  /** From connect to the final response headers, across redirects. Default 1000. */
  timeoutMs?: number;
  /** Appended after ours on every hop, names verbatim (Go's headerRoundTripper). */
  headers?: Record<string, string[]>;
  /** The media type `write` encodes and sends. Default v1. */
  mediaType?: EventsMediaTypeName;
  tls?: HttpSinkTls;
  listeners?: HttpStatusListener[];
  /** Use this dispatcher instead of the sink's own Agent; the caller keeps ownership of it. */
  dispatcher?: Dispatcher;
}

export type PostResult =
  | { ok: true; status: number }
  | { ok: false; status: number; error: HttpStatusError; retryAfterMs?: number }
  | { ok: false; status: 0; error: HttpTransportError };

export interface PostOptions {
  /** Content-Type; default the sink's media type. */
  mediaType?: string;
  /** Events in `body`, for the listeners. Default 1. */
  count?: number;
  signal?: AbortSignal;
}

/**
 * One HTTP attempt per call, classified (reference §4.8): the notifications package's httpSink
 * on undici. Redirects are followed the way Go's client does, by hand, so that configured
 * headers go on every hop and no retry layer hides under the queue's.
 *
 * One keep-alive Agent per sink: Go drops idle connections after every event; we keep them.
 * `write` calls are serialised, as Go's mutex does: at most one request in flight per sink.
 */
export class HttpSink implements Sink {
  private readonly dispatcher: Dispatcher;
  private readonly ownAgent: Agent | undefined;
  private readonly timeoutMs: number;
  private readonly mediaType: EventsMediaTypeName;
  private readonly extraHeaders: string[];
  private readonly listeners: readonly HttpStatusListener[];
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<Promise<PostResult>>();
  private closed = false;

  constructor(
    readonly url: string,
    options: HttpSinkOptions = {},
  ) {
    this.timeoutMs =
      options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : 1000;
    this.mediaType = options.mediaType ?? EventsMediaType;
    this.listeners = options.listeners ?? [];
    this.extraHeaders = Object.entries(options.headers ?? {}).flatMap(([name, values]) =>
      values.flatMap((value) => [name, value]),
    );
    this.ownAgent = options.dispatcher ? undefined : newAgent(options.tls);
    this.dispatcher = options.dispatcher ?? (this.ownAgent as Agent);
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
   * serialised: the durable queue decides how many run at once (one for strict ordering).
   */
  post(body: string, options: PostOptions = {}): Promise<PostResult> {
    if (this.closed) return Promise.reject(new SinkClosedError('sink: closed'));
    const run = this.attempt(body, options);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  /** Waits for the requests in flight, then closes the sink's own Agent. */
  async close(): Promise<void> {
    if (this.closed) throw new AlreadyClosedError('httpsink');
    this.closed = true;
    await this.tail;
    await Promise.allSettled([...this.inFlight]);
    await this.ownAgent?.close();
  }

  toString(): string {
    return `httpSink{${this.url}}`;
  }

  private async attempt(body: string, options: PostOptions): Promise<PostResult> {
    const count = options.count ?? 1;
    const mediaType = options.mediaType ?? this.mediaType;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
    const signal = options.signal
      ? AbortSignal.any([timeout.signal, options.signal])
      : timeout.signal;
    try {
      // One Buffer for all hops: undici sends a Buffer about twice as fast as a string.
      const res = await this.follow(Buffer.from(body), mediaType, signal);
      const status = res.statusCode;
      if (status >= 200 && status < 400) {
        for (const l of this.listeners) l.success(status, count);
        return { ok: true, status };
      }
      for (const l of this.listeners) l.failure(status, count);
      const error = new HttpStatusError(this.url, status, `${status} ${res.statusText}`.trimEnd());
      const wait =
        status === 429 || status === 503
          ? retryAfterMs(res.headers['retry-after'], Date.now())
          : undefined;
      return wait === undefined
        ? { ok: false, status, error }
        : { ok: false, status, error, retryAfterMs: wait };
    } catch (thrown) {
      const detail = timeout.signal.aborted
        ? `context deadline exceeded (Client.Timeout ${this.timeoutMs}ms exceeded while awaiting headers)`
        : toError(thrown).message;
      const error = new HttpTransportError(this.url, detail, { cause: thrown });
      for (const l of this.listeners) l.err(error, count);
      return { ok: false, status: 0, error };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The final response of the redirect chain (its body already consumed). */
  private async follow(
    body: Buffer,
    mediaType: string,
    signal: AbortSignal,
  ): Promise<{
    statusCode: number;
    statusText: string;
    headers: Dispatcher.ResponseData['headers'];
  }> {
    let url = new URL(this.url);
    let method: 'POST' | 'GET' = 'POST';
    for (let hop = 1; ; hop++) {
      const res = await request(url, {
        dispatcher: this.dispatcher,
        method,
        headers: this.headersFor(method === 'POST' ? mediaType : undefined),
        body: method === 'POST' ? body : null,
        signal,
      });
      // An unread body pins the connection: always drain it (bounded; beyond the limit undici
      // drops the connection instead). Its failure does not change the outcome.
      await res.body.dump({ limit: 64 * 1024, signal }).catch(() => undefined);
      const next = nextHop(res.statusCode, res.headers.location, url);
      if (!next) return res;
      // Go's client: the 11th request of a chain is refused.
      if (hop >= 10) throw new Error(`${method} "${url.href}": stopped after 10 redirects`);
      url = next;
      if (res.statusCode !== 307 && res.statusCode !== 308) method = 'GET';
    }
  }

  private headersFor(mediaType: string | undefined): string[] {
    const ours = ['User-Agent', UserAgent];
    if (mediaType !== undefined) ours.push('Content-Type', mediaType);
    return [...ours, ...this.extraHeaders];
  }
}

function newAgent(tls: HttpSinkTls | undefined): Agent {
  const connect: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } = {
    rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
  };
  if (tls?.ca !== undefined) connect.ca = tls.ca;
  if (tls?.cert !== undefined) connect.cert = tls.cert;
  if (tls?.key !== undefined) connect.key = tls.key;
  return new Agent({ connect });
}
