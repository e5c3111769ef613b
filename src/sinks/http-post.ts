import { request } from 'undici';
import type { Agent, Dispatcher } from 'undici';
import { HttpStatusError, HttpTransportError, RedirectLimitError, toError } from '../errors.js';
import { DefaultRetryAfterMaxMs, nextHop, retryAfterMs } from './http-response.js';
import { newAgent, untilAborted } from './http-transport.js';
import type { HttpSinkTls } from './http-transport.js';
import { basicAuthorization, displayUrl, wireUrl } from './url-display.js';
import { DefaultTimeoutMs, positiveOr } from './defaults.js';
import type { AttemptSigner } from './signing.js';

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

export interface HttpPostOptions {
  /**
   * The whole attempt, as Go's http.Client.Timeout: connect, TLS, every redirect hop, up to the
   * final response headers. Also the connect timeout of the own Agent. Default 1000.
   */
  timeoutMs?: number;
  /** The longest wait a Retry-After may ask for; longer ones are cut to this. Default 5 min. */
  retryAfterMaxMs?: number;
  /** Appended after ours on every hop, names verbatim (Go's headerRoundTripper). */
  headers?: Record<string, string[]>;
  tls?: HttpSinkTls;
  listeners?: HttpStatusListener[];
  /** Use this dispatcher instead of an own Agent; the caller keeps ownership of it. */
  dispatcher?: Dispatcher;
}

export type PostResult =
  | { ok: true; status: number }
  | { ok: false; status: number; error: HttpStatusError; retryAfterMs?: number }
  | { ok: false; status: 0; error: HttpTransportError };

export interface PostOptions {
  /** Content-Type. */
  mediaType: string;
  /** Events in `body`, for the listeners. Default 1. */
  count?: number;
  signal?: AbortSignal;
  /** Headers computed per attempt from the exact bytes sent (./signing.ts), after ours. */
  sign?: AttemptSigner;
}

/**
 * One HTTP attempt per `post`, classified (docs/compatibility.md §4.8): what the notifications
 * package's httpSink does for one event, on undici. Used by HttpSink (the in-process pipeline)
 * and by the durable queue's workers, which decide themselves how many attempts run at once.
 *
 * Redirects are followed the way Go's client does, by hand, so that configured headers go on
 * every hop and no retry layer hides under the caller's. A URL's userinfo becomes Basic auth on
 * each hop whose URL carries it (Go's client.go send()), never part of the wire URL; errors show
 * the URL only in its display form (./url-display.ts). One keep-alive Agent per poster: Go drops
 * idle connections after every event; we keep them.
 */
export class HttpPoster {
  private readonly dispatcher: Dispatcher;
  private readonly ownAgent: Agent | undefined;
  private readonly timeoutMs: number;
  private readonly retryAfterMaxMs: number;
  private readonly extraHeaders: string[];
  private readonly listeners: readonly HttpStatusListener[];
  private readonly inFlight = new Set<Promise<PostResult>>();
  private parsed: URL | undefined;
  private readonly firstHops = new Map<string, { wire: URL; headers: string[] }>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly url: string,
    options: HttpPostOptions = {},
  ) {
    this.timeoutMs = positiveOr(options.timeoutMs, DefaultTimeoutMs);
    this.retryAfterMaxMs = options.retryAfterMaxMs ?? DefaultRetryAfterMaxMs;
    this.listeners = options.listeners ?? [];
    this.extraHeaders = Object.entries(options.headers ?? {}).flatMap(([name, values]) =>
      values.flatMap((value) => [name, value]),
    );
    this.ownAgent = options.dispatcher ? undefined : newAgent(options.tls, this.timeoutMs);
    this.dispatcher = options.dispatcher ?? (this.ownAgent as Agent);
  }

  /** Exactly one attempt (with its redirects), classified; never rejects. */
  post(body: string, options: PostOptions): Promise<PostResult> {
    const run = this.attempt(body, options);
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  /**
   * Waits for the attempts in flight, then destroys the own Agent: what is left in it is idle
   * sockets and connects that outlived their attempt's deadline (see `attempt`). Idempotent:
   * every call returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.ownAgent?.destroy();
    })();
    return this.closing;
  }

  /**
   * The deadline ends the attempt even where undici does not settle: an abort reaches an undici
   * request only once its socket is connected, so a connect into a black hole (a partition, a
   * full accept queue) or a stalled TLS handshake would run to undici's own connect timeout
   * (8.4 s with `timeout: 1s` in issue 7's partition test). The attempt stops waiting at the
   * deadline; the orphaned connect is cut by the own Agent's connect timeout (= timeoutMs), so
   * its socket lives at most that much longer (with an injected dispatcher: its own timeout).
   */
  private async attempt(body: string, options: PostOptions): Promise<PostResult> {
    const count = options.count ?? 1;
    // One controller for the deadline and the caller's signal (AbortSignal.any costs several
    // times as much, per POST).
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    const caller = options.signal;
    const forward = (): void => abort.abort(caller?.reason);
    if (caller?.aborted) forward();
    else caller?.addEventListener('abort', forward, { once: true });
    const signal = abort.signal;
    try {
      // One Buffer for all hops: undici sends a Buffer about twice as fast as a string.
      const bytes = Buffer.from(body);
      const signed = options.sign?.(bytes) ?? [];
      const exchange = this.follow(bytes, options.mediaType, signal, signed);
      const res = await untilAborted(exchange, signal, (late) => late.body.destroy());
      // Go closes the final body unread; we drain it (bounded) so the connection can be reused.
      // Its failure does not change the outcome, and the deadline still bounds it.
      const drain = res.body.dump({ limit: 64 * 1024, signal });
      await untilAborted(drain, signal, () => undefined).catch(() => undefined);
      return this.classify(res, count);
    } catch (thrown) {
      const detail = timedOut
        ? `context deadline exceeded (Client.Timeout ${this.timeoutMs}ms exceeded while awaiting headers)`
        : toError(thrown).message;
      const error = new HttpTransportError(this.url, detail, { cause: thrown });
      for (const l of this.listeners) l.err(error, count);
      return { ok: false, status: 0, error };
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', forward);
    }
  }

  /** Success is a final status 200–399; a 429/503 may carry the wait it asks for. */
  private classify(res: Dispatcher.ResponseData, count: number): PostResult {
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
    signed: readonly string[],
  ): Promise<Dispatcher.ResponseData> {
    let url = (this.parsed ??= new URL(this.url));
    let method: 'POST' | 'GET' = 'POST';
    for (let hop = 1; ; hop++) {
      const first = hop === 1 ? this.firstHop(mediaType) : undefined;
      const res = await request(first?.wire ?? wireUrl(url), {
        dispatcher: this.dispatcher,
        method,
        headers: withSigned(
          first?.headers ??
            this.headersFor(method === 'POST' ? mediaType : undefined, basicAuthorization(url)),
          signed,
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
      if (hop >= 10) throw new RedirectLimitError(`${method} "${displayUrl(url.href)}"`, 10);
      url = next;
      if (res.statusCode !== 307 && res.statusCode !== 308) method = 'GET';
    }
  }

  /**
   * The first hop's wire URL and headers, worked out once per media type (a URL parse and a
   * header list per POST otherwise). A userinfo Go refuses throws here, every time, as before.
   */
  private firstHop(mediaType: string): { wire: URL; headers: string[] } {
    let hop = this.firstHops.get(mediaType);
    if (hop === undefined) {
      const url = (this.parsed ??= new URL(this.url));
      hop = { wire: wireUrl(url), headers: this.headersFor(mediaType, basicAuthorization(url)) };
      this.firstHops.set(mediaType, hop);
    }
    return hop;
  }

  /** Ours, then the userinfo's Basic auth (Go's send()), then the configured headers appended. */
  private headersFor(mediaType: string | undefined, authorization: string | undefined): string[] {
    const ours = ['User-Agent', UserAgent];
    if (mediaType !== undefined) ours.push('Content-Type', mediaType);
    if (authorization !== undefined) ours.push('Authorization', authorization);
    return [...ours, ...this.extraHeaders];
  }
}

/** The hop's headers, then the attempt's signature headers (on every hop), if any. */
function withSigned(headers: string[], signed: readonly string[]): string[] {
  return signed.length === 0 ? headers : [...headers, ...signed];
}
