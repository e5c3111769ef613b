import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import { ConfigError, SinkClosedError, StoreUnavailableError, toError } from '../errors.js';
import { mediaTypeEssence } from '../events/parse.js';
import type { EventsMediaTypeName } from '../events/types.js';
import type { EncodedEvent, StoreOutcome } from '../queue/producer.js';
import { EventsMediaType, EventsMediaTypeV2 } from '../events/types.js';
import { authConfigured, authenticate, challenges } from './auth.js';
import type { IngestAuth } from './auth.js';
import { declaredLength } from './body.js';
import { createInFlight, isRefusal } from './limits.js';
import type { Ticket } from './limits.js';
import { createParseGate, receiveEnvelope } from './receive.js';
import { sendError, sendJson } from './respond.js';
import type { HttpHandler } from './server.js';

/** What the ingest needs from the durable sink (DurableSink in production, a fake in tests). */
export interface IngestSink {
  /** Stores each event with the compact text the parser produced (stored as is, not re-encoded). */
  writeEncoded(
    events: readonly EncodedEvent[],
    mediaType: EventsMediaTypeName,
  ): Promise<StoreOutcome>;
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
  /**
   * Body bytes of all requests in progress together (read, parsed or being stored); past it,
   * 503 + Retry-After. At least twice `maxBodyBytes`. Default 8 MiB (or twice `maxBodyBytes`).
   */
  maxInFlightBytes?: number;
  /**
   * Events of all requests in progress together (parsed, being stored); past it, 503 +
   * Retry-After. At least twice `maxEventsPerRequest`. Default 2000.
   */
  maxInFlightEvents?: number;
  /** Requests in progress together; past it, 503 + Retry-After. Default 64. */
  maxConcurrentRequests?: number;
  /** Events in one envelope; past it, 413. Default 1000 (regnotify's own `maxbatch` limit). */
  maxEventsPerRequest?: number;
  auth?: IngestAuth;
  logger: Logger;
  /** Called once per request to the path (metrics hook; see ../metrics/prometheus.ts). */
  observe?: (outcome: IngestOutcome) => void;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

export const DefaultMaxBodyBytes = 1024 * 1024;
export const DefaultMaxInFlightBytes = 8 * 1024 * 1024;
export const DefaultMaxInFlightEvents = 2000;
export const DefaultMaxConcurrentRequests = 64;
export const DefaultMaxEventsPerRequest = 1000;

/** `application/json` is accepted too (curl, hand-written clients); the layout is then detected. */
const AcceptedMediaTypes = [EventsMediaType, EventsMediaTypeV2, 'application/json'] as const;

/**
 * The relay's way in: `POST <path>` with a notification envelope. It answers 200 only once
 * `sink.writeEncoded` resolved, i.e. the events are in Redis for every endpoint that wants them;
 * every other outcome is an error status the registry retries on, so nothing is acknowledged
 * that is not stored. A retried event is stored once while it is pending (its job id is a digest
 * of its bytes) and, delivered or not, within the dedupe window (redis.dedupeWindowMs).
 *
 * Under a flood it stays bounded (see limits.ts): requests past the bounds get 503 before their
 * body is read, so /healthz and the requests within the bounds keep being answered.
 */
export function createIngestHandler(options: IngestOptions): HttpHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DefaultMaxBodyBytes;
  const maxInFlightBytes =
    options.maxInFlightBytes ?? Math.max(DefaultMaxInFlightBytes, 2 * maxBodyBytes);
  const maxEvents = options.maxEventsPerRequest ?? DefaultMaxEventsPerRequest;
  const maxInFlightEvents =
    options.maxInFlightEvents ?? Math.max(DefaultMaxInFlightEvents, 2 * maxEvents);
  // A request of the largest size must fit in the part of a budget that is not kept for small
  // requests (seven eighths, see limits.ts), else under load it would only pass when alone.
  // (The config is checked the same way on load; this guards other callers.)
  if (maxInFlightBytes < 2 * maxBodyBytes) {
    throw new ConfigError('ingest.maxInFlightBytes', 'must be at least twice ingest.maxBodyBytes');
  }
  if (maxInFlightEvents < 2 * maxEvents) {
    throw new ConfigError(
      'ingest.maxInFlightEvents',
      'must be at least twice ingest.maxEventsPerRequest',
    );
  }
  const inFlight = createInFlight({
    maxInFlightBytes,
    maxInFlightEvents,
    maxConcurrentRequests: options.maxConcurrentRequests ?? DefaultMaxConcurrentRequests,
  });
  const limits = { maxBodyBytes, maxEvents };
  const gate = createParseGate();
  const now = options.now ?? (() => performance.now());
  const auth = authConfigured(options.auth) ? options.auth : undefined;
  const authChallenges = auth ? challenges(auth) : [];

  return async (req, res) => {
    if (pathOf(req.url) !== options.path) return false;
    // What an admitted request holds is given back however it ends (answer, abort, throw).
    const held: { ticket?: Ticket } = {};
    try {
      await handle(req, res, held);
    } finally {
      held.ticket?.release();
    }
    return true;
  };

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    held: { ticket?: Ticket },
  ): Promise<boolean> {
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

    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBodyBytes) {
      // Connection: close makes Node close the socket after the answer instead of reading on.
      fail(413, 'ERR_BODY_TOO_LARGE', `body larger than ${maxBodyBytes} bytes`, {
        Connection: 'close',
      });
      return true;
    }
    const ticket = inFlight.admit(declared ?? 0, declared === undefined);
    if (isRefusal(ticket)) {
      // Decided before reading the body; Connection: close, so Node does not drain it either.
      fail(503, ticket.code, ticket.message, { 'Retry-After': '1', Connection: 'close' });
      return true;
    }
    held.ticket = ticket;

    const received = await receiveEnvelope(req, essence, limits, ticket, gate);
    if (received.kind === 'aborted') {
      options.logger.debug({ path: options.path }, 'ingest request aborted by the client');
      finish(499);
      return true;
    }
    if (received.kind === 'refused') {
      fail(received.status, received.code, received.message, received.headers);
      return true;
    }
    const parsed = received.envelope;
    events = parsed.events.length;

    try {
      const encoded = parsed.events.map((event, i) => ({ event, raw: parsed.raw[i] ?? '' }));
      const { stored, duplicates } = await options.sink.writeEncoded(encoded, parsed.mediaType);
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
  }
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? raw : raw.slice(0, q);
}
