import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { EnvelopeError, RegnotifyError, TooManyEventsError } from '../errors.js';
import { isEventsMediaType, parseEnvelope } from '../events/parse.js';
import type { ParsedEnvelope } from '../events/parse.js';
import { readBody } from './body.js';
import { SmallBodyBytes } from './limits.js';
import type { Refusal, Ticket } from './limits.js';

/** What reading and parsing one ingest request body came to. */
export type Received =
  | { kind: 'parsed'; envelope: ParsedEnvelope }
  /** Answer with this error; nothing was stored. */
  | {
      kind: 'refused';
      status: number;
      code: string;
      message: string;
      headers?: OutgoingHttpHeaders;
    }
  /** The client went away: nobody to answer, and nothing was stored. */
  | { kind: 'aborted' };

export interface ReceiveLimits {
  maxBodyBytes: number;
  maxEvents: number;
}

/** Runs `fn` after the parses queued before it, one per turn of the event loop. */
export type ParseGate = <T>(fn: () => T) => Promise<T>;

/**
 * The parse of a big body is synchronous (tens of ms for 1 MiB). Bodies that complete together
 * would be parsed back to back within one turn of the event loop, and /healthz or a small POST
 * arriving meanwhile would wait for all of them. Through the gate, big parses run one per turn,
 * so whatever else is ready is served between two of them.
 */
export function createParseGate(): ParseGate {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => T): Promise<T> => {
    const run = queue.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(fn);
    queue = run.catch(() => undefined);
    return run;
  };
}

const closing = { Connection: 'close' } as const;

/**
 * Read the body of an admitted request (its bytes reserved on `ticket`) and parse it. The body
 * buffer lives only inside this function: once it returns, the request holds its events and
 * their compact texts, not the bytes they came from.
 */
export async function receiveEnvelope(
  req: IncomingMessage,
  essence: string,
  limits: ReceiveLimits,
  ticket: Ticket,
  gate: ParseGate,
): Promise<Received> {
  const body = await readBody(req, limits.maxBodyBytes, ticket);
  switch (body.kind) {
    case 'aborted':
      return body;
    case 'too-large':
      // Connection: close makes Node close the socket after the answer instead of reading on.
      return refused(413, 'ERR_BODY_TOO_LARGE', `body larger than ${limits.maxBodyBytes} bytes`, {
        ...closing,
      });
    case 'refused':
      return refused(503, body.refusal.code, body.refusal.message, {
        'Retry-After': '1',
        ...closing,
      });
    case 'no-length':
      return refused(411, 'ERR_LENGTH_REQUIRED', 'a body is required (Content-Length or chunked)');
    case 'ok':
      break;
  }
  if (body.bytes.length === 0) return refused(400, 'ERR_INVALID_ENVELOPE', 'body: empty');
  const bytes = body.bytes;
  const parse = () =>
    parseEnvelope(bytes, {
      maxEvents: limits.maxEvents,
      ...(isEventsMediaType(essence) ? { mediaType: essence } : {}),
      // Events held until stored are bounded too (the store's work and memory are per event),
      // checked once they are counted and before they are decoded: a refusal costs little.
      beforeDecode: (count) => {
        const refusal = ticket.addEvents(count);
        if (refusal) throw new RefusedError(refusal);
      },
    });
  try {
    const envelope = bytes.length > SmallBodyBytes ? await gate(parse) : parse();
    return { kind: 'parsed', envelope };
  } catch (err) {
    if (err instanceof RefusedError) {
      const { code, message } = err.refusal;
      return refused(503, code, message, { 'Retry-After': '1' });
    }
    if (err instanceof TooManyEventsError) {
      // 413, not 503: the same envelope can never pass, so inviting a retry would only make the
      // registry resend it for ever. The sender has to send fewer events per request.
      return refused(413, err.code, `${err.message} (ingest.maxEventsPerRequest)`);
    }
    if (err instanceof EnvelopeError) return refused(400, err.code, err.message);
    throw err;
  }
}

/** Carries a bound's refusal out of parseEnvelope's `beforeDecode`. */
class RefusedError extends RegnotifyError {
  constructor(readonly refusal: Refusal) {
    super(refusal.code, refusal.message);
  }
}

function refused(
  status: number,
  code: string,
  message: string,
  headers?: OutgoingHttpHeaders,
): Received {
  return { kind: 'refused', status, code, message, ...(headers ? { headers } : {}) };
}
