/**
 * One class of error per failure mode, each with a stable `code` (the undici/pino habit):
 * callers branch on `err.code` or `instanceof`, never on message text.
 */
import { displayUrl } from './sinks/url-display.js';

export class RegnotifyError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Writing to a sink that has been closed. The Go code has two such values
 * (`sink: closed` and go-events' `events: sink closed`); one class serves both here.
 */
export class SinkClosedError extends RegnotifyError {
  constructor(message = 'sink: closed') {
    super('ERR_SINK_CLOSED', message);
  }
}

/**
 * Closing twice, for a Sink written against this package that reports it as Go's do
 * (`eventqueue: already closed`…). regnotify's own sinks take a second close as the first.
 */
export class AlreadyClosedError extends RegnotifyError {
  constructor(what: string) {
    super('ERR_ALREADY_CLOSED', `${what}: already closed`);
  }
}

/** A received envelope that is not a valid notification envelope. Names the field at fault. */
export class EnvelopeError extends RegnotifyError {
  readonly field: string;
  readonly problem: string;
  constructor(field: string, problem: string) {
    super('ERR_INVALID_ENVELOPE', field ? `${field}: ${problem}` : problem);
    this.field = field;
    this.problem = problem;
  }
}

/**
 * A valid envelope with more events than the receiver takes in one request. Retrying the same
 * envelope can never succeed: the sender must send fewer events per request.
 */
export class TooManyEventsError extends RegnotifyError {
  readonly count: number;
  readonly limit: number;
  constructor(count: number, limit: number) {
    super(
      'ERR_TOO_MANY_EVENTS',
      `events: ${count} in one envelope, more than the limit of ${limit}`,
    );
    this.count = count;
    this.limit = limit;
  }
}

/** A configuration value that cannot be used. `key` is the dotted path of the offending key. */
export class ConfigError extends RegnotifyError {
  readonly key: string;
  constructor(key: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_CONFIG', `${key}: ${problem}`, options);
    this.key = key;
  }
}

/**
 * An HTTP attempt that got a final status outside 200–399. The message (logged on every failed
 * attempt, kept in dead letters) shows the endpoint URL in its display form: no password, no
 * query values.
 */
export class HttpStatusError extends RegnotifyError {
  readonly status: number;
  constructor(url: string, status: number, statusLine: string) {
    super(
      'ERR_HTTP_STATUS',
      `httpSink{${displayUrl(url)}}: response status ${statusLine} unaccepted`,
    );
    this.status = status;
  }
}

/**
 * An HTTP attempt that got no final status: refused, reset, DNS, TLS, timeout, too many
 * redirects. The URL is shown in its display form, as in HttpStatusError.
 */
export class HttpTransportError extends RegnotifyError {
  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_HTTP_TRANSPORT', `httpSink{${displayUrl(url)}}: error posting: ${detail}`, options);
  }
}

/** A redirect chain longer than Go's client follows (its 11th request is refused). */
export class RedirectLimitError extends RegnotifyError {
  constructor(request: string, hops: number) {
    super('ERR_TOO_MANY_REDIRECTS', `${request}: stopped after ${hops} redirects`);
  }
}

/**
 * The worker lost the lock of the job it is delivering (another worker may take the job over):
 * the reason its POST is aborted.
 */
export class LockLostError extends RegnotifyError {
  constructor(jobId: string) {
    super('ERR_LOCK_LOST', `lock lost: job ${jobId}`);
  }
}

/** Redis gave no reply where one was due (a pipeline that came back short). */
export class NoReplyError extends RegnotifyError {
  constructor(what: string) {
    super('ERR_NO_REPLY', `no reply from Redis to ${what}`);
  }
}

/** A Lua script answered with something it never answers: a script and its caller disagree. */
export class ScriptReplyError extends RegnotifyError {
  constructor(script: string, detail: string) {
    super('ERR_SCRIPT_REPLY', `${script}: unexpected reply: ${detail}`);
  }
}

/**
 * The durable store (Redis) could not take or give the data, or could not promise to keep it;
 * nothing was acknowledged (the ingest answers 503 and the registry retries).
 */
export class StoreUnavailableError extends RegnotifyError {
  constructor(detail: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'ERR_STORE_UNAVAILABLE', `store unavailable: ${detail}`, options);
  }
}

/** Redis is too full to take more events (the headroom kept for delivery is reached). */
export class StoreFullError extends StoreUnavailableError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, { ...options, code: 'ERR_STORE_FULL' });
  }
}

/**
 * The events were written on the primary, but fewer replicas than required confirmed them in
 * time: a failover could lose them, so they are not acknowledged (a retry within the dedupe window
 * stores nothing twice).
 */
export class StoreNotReplicatedError extends StoreUnavailableError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, { ...options, code: 'ERR_NOT_REPLICATED' });
  }
}

/**
 * Coerce anything thrown into an Error, once, at the edge. A thrown non-Error (a string, an
 * object) becomes a coded error carrying the value as its cause; describing it never throws
 * (JSON.stringify does, on a BigInt or a cycle).
 */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new RegnotifyError('ERR_NOT_AN_ERROR', describeThrown(value), { cause: value });
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * A repository name, digest or URL root that the registry's reference grammar refuses (the Go
 * bridge fails `reference.WithName`/`WithDigest` the same way). `what` says which part.
 */
export class InvalidReferenceError extends RegnotifyError {
  readonly what: string;
  readonly value: string;
  constructor(what: string, value: string, problem: string) {
    super('ERR_INVALID_REFERENCE', `invalid ${what} ${JSON.stringify(value)}: ${problem}`);
    this.what = what;
    this.value = value;
  }
}

/** A manifest payload the bridge cannot describe: unknown media type or unparsable content. */
export class ManifestError extends RegnotifyError {
  readonly mediaType: string;
  constructor(mediaType: string, problem: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_MANIFEST', `manifest ${JSON.stringify(mediaType)}: ${problem}`, options);
    this.mediaType = mediaType;
  }
}
