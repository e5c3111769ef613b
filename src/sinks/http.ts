import { request } from 'undici';
import type { Agent, Dispatcher } from 'undici';
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
import { DefaultTimeoutMs, positiveOr } from './defaults.js';
import { DefaultRetryAfterMaxMs, nextHop, retryAfterMs } from './http-response.js';
import { newAgent, untilAborted } from './http-transport.js';
import type { HttpSinkTls } from './http-transport.js';
import type { Sink } from './sink.js';
import { basicAuthorization, displayUrl, wireUrl } from './url-display.js';

export type { HttpSinkTls } from './http-transport.js';

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

export interface HttpSinkOptions {
  /**
   * The whole attempt, as Go's http.Client.Timeout: connect, TLS, every redirect hop, up to the
   * final response headers. Also the connect timeout of the sink's own Agent. Default 1000.
   */
  timeoutMs?: number;
  /** The longest wait a Retry-After may ask for; longer ones are cut to this. Default 5 min. */
  retryAfterMaxMs?: number;
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
 * One HTTP attempt per call, classified (docs/compatibility.md §4.8): the notifications package's httpSink
 * on undici. Redirects are followed the way Go's client does, by hand, so that configured
 * headers go on every hop and no retry layer hides under the queue's. A URL's userinfo becomes
 * Basic auth on each hop whose URL carries it (Go's client.go send()), never part of the wire
 * URL; errors and `toString` show the URL only in its display form (./url-display.ts).
 *
 * One keep-alive Agent per sink: Go drops idle connections after every event; we keep them.
 * `write` calls are serialised, as Go's mutex does: at most one request in flight per sink.
 */
export class HttpSink implements Sink {
  private readonly dispatcher: Dispatcher;
  private readonly ownAgent: Agent | undefined;
  private readonly timeoutMs: number;
  private readonly retryAfterMaxMs: number;
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
    this.timeoutMs = positiveOr(options.timeoutMs, DefaultTimeoutMs);
    this.retryAfterMaxMs = options.retryAfterMaxMs ?? DefaultRetryAfterMaxMs;
    this.mediaType = options.mediaType ?? EventsMediaType;
    this.listeners = options.listeners ?? [];
    this.extraHeaders = Object.entries(options.headers ?? {}).flatMap(([name, values]) =>
      values.flatMap((value) => [name, value]),
    );
    this.ownAgent = options.dispatcher ? undefined : newAgent(options.tls, this.timeoutMs);
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

  /**
   * Waits for the attempts in flight, then destroys the sink's own Agent: what is left in it is
   * idle sockets and connects that outlived their attempt's deadline (see `attempt`).
   */
  async close(): Promise<void> {
    if (this.closed) throw new AlreadyClosedError('httpsink');
    this.closed = true;
    await this.tail;
    await Promise.allSettled([...this.inFlight]);
    await this.ownAgent?.destroy();
  }

  toString(): string {
    return `httpSink{${displayUrl(this.url)}}`;
  }

  /**
   * The deadline ends the attempt even where undici does not settle: an abort reaches an undici
   * request only once its socket is connected, so a connect into a black hole (a partition, a
   * full accept queue) or a stalled TLS handshake would run to undici's own connect timeout
   * (8.4 s with `timeout: 1s`; test/chaos/partition.test.ts). The attempt stops waiting at the
   * deadline; the orphaned connect is cut by the own Agent's connect timeout (= timeoutMs), so
   * its socket lives at most that much longer (with an injected dispatcher: its own timeout).
   */
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
      const exchange = this.follow(Buffer.from(body), mediaType, signal);
      const res = await untilAborted(exchange, signal, (late) => late.body.destroy());
      // Go closes the final body unread; we drain it (bounded) so the connection can be reused.
      // Its failure does not change the outcome, and the deadline still bounds it.
      const drain = res.body.dump({ limit: 64 * 1024, signal });
      await untilAborted(drain, signal, () => undefined).catch(() => undefined);
      const status = res.statusCode;
      if (status >= 200 && status < 400) {
        for (const l of this.listeners) l.success(status, count);
        return { ok: true, status };
      }
      for (const l of this.listeners) l.failure(status, count);
      const error = new HttpStatusError(this.url, status, `${status} ${res.statusText}`.trimEnd());
      const wait =
        status === 429 || status === 503
          ? retryAfterMs(res.headers['retry-after'], Date.now(), this.retryAfterMaxMs)
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

  /**
   * The final response of the redirect chain, its body not yet read. `url` keeps its userinfo
   * so that a relative Location inherits it, as Go's URL.Parse does: each hop sends the Basic
   * auth of its own URL, and nothing else carries credentials from hop to hop (Go copies only
   * the first request's headers, which never hold the userinfo's Authorization).
   */
  private async follow(
    body: Buffer,
    mediaType: string,
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    let url = new URL(this.url);
    let method: 'POST' | 'GET' = 'POST';
    for (let hop = 1; ; hop++) {
      const res = await request(wireUrl(url), {
        dispatcher: this.dispatcher,
        method,
        headers: this.headersFor(
          method === 'POST' ? mediaType : undefined,
          basicAuthorization(url),
        ),
        body: method === 'POST' ? body : null,
        signal,
      });
      const next = nextHop(res.statusCode, res.headers.location, url);
      if (!next) return res;
      // An unread body pins the connection: drain it (bounded; beyond the limit undici drops
      // the connection instead). Its failure does not change the outcome.
      await res.body.dump({ limit: 64 * 1024, signal }).catch(() => undefined);
      // Go's client: the 11th request of a chain is refused.
      if (hop >= 10)
        throw new Error(`${method} "${displayUrl(url.href)}": stopped after 10 redirects`);
      url = next;
      if (res.statusCode !== 307 && res.statusCode !== 308) method = 'GET';
    }
  }

  /** Ours, then the userinfo's Basic auth (Go's send()), then the configured headers appended. */
  private headersFor(mediaType: string | undefined, authorization: string | undefined): string[] {
    const ours = ['User-Agent', UserAgent];
    if (mediaType !== undefined) ours.push('Content-Type', mediaType);
    if (authorization !== undefined) ours.push('Authorization', authorization);
    return [...ours, ...this.extraHeaders];
  }
}
