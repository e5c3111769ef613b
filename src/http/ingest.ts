import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { EnvelopeError, SinkClosedError, StoreUnavailableError, toError } from '../errors.js';
import { isEventsMediaType, mediaTypeEssence, parseEnvelope } from '../events/parse.js';
import type { Event, EventsMediaTypeName } from '../events/types.js';
import type { StoreOutcome } from '../queue/producer.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../events/types.js';
import { authConfigured, authenticate, challenges } from './auth.js';
import type { IngestAuth } from './auth.js';
import { readBody } from './body.js';
import { sendError, sendJson } from './respond.js';
import type { HttpHandler } from './server.js';

/** What the ingest needs from the durable sink (DurableSink in production, a fake in tests). */
export interface IngestSink {
  writeMany(events: readonly Event[], mediaType?: EventsMediaTypeName): Promise<StoreOutcome>;
}

export interface IngestOutcome {
  status: number;
  events: number;
  durationMs: number;
}

export interface IngestOptions {
  sink: IngestSink;
  /** The path the registry POSTs to, e.g. `/events`. */
  path: string;
  /** Bodies past this size are refused with 413 without being buffered. Default 1 MiB. */
  maxBodyBytes?: number;
  auth?: IngestAuth;
  logger: Logger;
  /** Called once per request to the path (metrics hook; see prometheus.ts). */
  observe?: (outcome: IngestOutcome) => void;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

export const DefaultMaxBodyBytes = 1024 * 1024;

/** `application/json` is accepted too (curl, hand-written clients); the layout is then detected. */
const AcceptedMediaTypes = [EventsMediaType, EventsMediaTypeV2, 'application/json'] as const;

/**
 * The relay's way in: `POST <path>` with a notification envelope. It answers 200 only once
 * `sink.writeMany` resolved, i.e. the events are in Redis for every endpoint that wants them;
 * every other outcome is an error status the registry retries on, so nothing is acknowledged
 * that is not stored. A retried envelope is not stored twice (the sink dedupes by event id).
 */
export function createIngestHandler(options: IngestOptions): HttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DefaultMaxBodyBytes;
  const now = options.now ?? (() => performance.now());
  const auth = authConfigured(options.auth) ? options.auth : undefined;
  const authChallenges = auth ? challenges(auth) : [];

  return async (req, res) => {
    if (pathOf(req.url) !== options.path) return false;
    const started = now();
    let events = 0;
    const finish = (status: number): void => {
      options.observe?.({ status, events, durationMs: now() - started });
    };
    const fail = (status: number, code: string, message: string, extra = {}): void => {
      sendError(res, status, code, message, extra);
      options.logger.warn(
        { method: req.method, path: options.path, status, code, remote: req.socket.remoteAddress },
        `ingest refused: ${message}`,
      );
      finish(status);
    };

    if (req.method !== 'POST') {
      fail(405, 'ERR_METHOD_NOT_ALLOWED', `method ${req.method ?? ''} not allowed: use POST`, {
        Allow: 'POST',
      });
      return true;
    }
    if (auth && !authenticate(auth, req.headers.authorization)) {
      const missing = req.headers.authorization === undefined;
      fail(401, 'ERR_UNAUTHORIZED', missing ? 'credentials required' : 'invalid credentials', {
        'WWW-Authenticate': authChallenges,
      });
      return true;
    }
    const contentType = req.headers['content-type'] ?? '';
    const essence = mediaTypeEssence(contentType);
    if (!(AcceptedMediaTypes as readonly string[]).includes(essence)) {
      const got = essence === '' ? 'no Content-Type' : `Content-Type ${essence}`;
      fail(
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `${got} not accepted; use one of: ${AcceptedMediaTypes.join(', ')}`,
      );
      return true;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body.kind === 'aborted') {
      // The client went away: nobody to answer, and nothing was stored.
      options.logger.debug({ path: options.path }, 'ingest request aborted by the client');
      finish(499);
      return true;
    }
    if (body.kind === 'too-large') {
      // Connection: close makes Node close the socket after the answer instead of reading on.
      fail(413, 'ERR_BODY_TOO_LARGE', `body larger than ${maxBodyBytes} bytes`, {
        Connection: 'close',
      });
      return true;
    }
    if (body.kind === 'no-length') {
      fail(411, 'ERR_LENGTH_REQUIRED', 'a body is required (Content-Length or chunked)');
      return true;
    }
    if (body.bytes.length === 0) {
      fail(400, 'ERR_INVALID_ENVELOPE', 'body: empty');
      return true;
    }

    let parsed: ReturnType<typeof parseEnvelope>;
    try {
      parsed = parseEnvelope(body.bytes, isEventsMediaType(essence) ? { mediaType: essence } : {});
    } catch (err) {
      if (err instanceof EnvelopeError) {
        fail(400, err.code, err.message);
        return true;
      }
      throw err;
    }
    events = parsed.events.length;

    try {
      const { stored, duplicates } = await options.sink.writeMany(parsed.events, parsed.mediaType);
      // `duplicates` (events already stored, e.g. by the first try of a retried POST) only
      // when there are some, so the common answer stays `{"accepted":n,"stored":{…}}`.
      const repeated = Object.values(duplicates).some((n) => n > 0);
      sendJson(res, 200, { accepted: events, stored, ...(repeated ? { duplicates } : {}) });
      options.logger.debug(
        { path: options.path, events, mediaType: parsed.mediaType, stored },
        'ingest stored',
      );
      finish(200);
    } catch (err) {
      if (err instanceof StoreUnavailableError || err instanceof SinkClosedError) {
        // Retry-After asks a well-behaved client to come back soon; the registry retries anyway.
        fail(503, err.code, err.message, { 'Retry-After': '1' });
        return true;
      }
      const error = toError(err);
      options.logger.error({ err: error, path: options.path, events }, 'ingest failed');
      sendError(res, 500, 'ERR_INTERNAL', 'internal error; events not stored');
      finish(500);
    }
    return true;
  };
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
