import { STATUS_CODES, createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { RegnotifyError, toError } from '../errors.js';
import { sendError } from './respond.js';

/** Answers a request and returns true, or returns false to let the next handler try. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface HttpServerOptions {
  /** `host:port`; `:port` listens on all interfaces (Go style); port 0 picks a free port. */
  addr: string;
  handlers: readonly HttpHandler[];
  logger: Logger;
  /** Whole-request deadline (headers + body): past it, 408. Default 30 s. */
  requestTimeoutMs?: number;
  /** Deadline for the request line and headers: past it, 408. Default 10 s. */
  headersTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this long. Default 65 s (above common LB idle timeouts). */
  keepAliveTimeoutMs?: number;
  /** On close, connections still busy after this long are cut. Default 5 s. */
  closeGraceMs?: number;
}

export interface RunningHttpServer {
  /** `http://host:port`, with the port actually bound (127.0.0.1 stands in for "all interfaces"). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/** A listen address that is not `host:port`, `:port` or `[v6]:port`, or whose port is too large. */
export class ListenAddressError extends RegnotifyError {
  constructor(addr: string, problem: string) {
    super('ERR_LISTEN_ADDRESS', `listen address "${addr}": ${problem}`);
  }
}

/** Parses `host:port`, `:port` and `[v6]:port`. An empty host means all interfaces. */
export function parseListenAddress(addr: string): ListenAddress {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) throw new ListenAddressError(addr, 'expected host:port or :port');
  const host = m[1] ?? m[2] ?? '';
  const port = Number(m[3]);
  if (port > 65535) throw new ListenAddressError(addr, 'port out of range');
  return { host: host === '' ? undefined : host, port };
}

/**
 * A node:http server running `handlers` in order; the first that returns true owns the request,
 * none → 404. A handler that throws gets a 500 (and a log line) instead of a hung request.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { host, port } = parseListenAddress(options.addr);
  const logger = options.logger;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const headersTimeout =
    requestTimeout > 0
      ? Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout)
      : (options.headersTimeoutMs ?? 10_000);
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // Node enforces both deadlines from a timer that runs every connectionsCheckingInterval
      // (30 s by default): a slow client was cut up to 30 s late. A tenth of the shorter
      // deadline (within 50 ms – 1 s) answers near the bound for little work.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 10))),
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000,
    },
    (req, res) => void route(options.handlers, req, res, logger),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(err, socket, { headersTimeout, requestTimeout }, logger),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host === undefined ? {} : { host }) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${bound}`;
  logger.info({ addr: options.addr, url }, 'http server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const grace = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5_000);
      grace.unref();
      server.close(() => {
        clearTimeout(grace);
        resolve();
      });
      // Idle keep-alive sockets would otherwise hold close() open until their timeout.
      server.closeIdleConnections();
    });
    return closing;
  };
  return { url, port: bound, close };
}

/**
 * A request Node could not hand to a handler: too slow, malformed, or a dead socket. Answered
 * (when the socket can still take it) with the one error shape of every regnotify surface.
 * Logged by code and message only: the error's `rawPacket` holds the request's raw bytes,
 * Authorization header included.
 */
function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  timeouts: { headersTimeout: number; requestTimeout: number },
  logger: Logger,
): void {
  const code = err.code ?? 'ERR_UNKNOWN';
  logger.debug({ code, reason: err.message }, 'http client error');
  // A response already under way on this socket must not be corrupted by a second one (Node's
  // own default handler makes the same check, on the same internal field).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  let status = 400;
  let body = { code: 'ERR_BAD_REQUEST', message: `malformed request: ${err.message}` };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    body = {
      code: 'ERR_REQUEST_TIMEOUT',
      message: `request not received in time (headers within ${timeouts.headersTimeout} ms, whole request within ${timeouts.requestTimeout} ms)`,
    };
  } else if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    body = { code: 'ERR_HEADERS_TOO_LARGE', message: 'request headers too large' };
  }
  const text = JSON.stringify({ error: body });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
      text,
  );
}

async function route(
  handlers: readonly HttpHandler[],
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
): Promise<void> {
  try {
    for (const handler of handlers) {
      if (await handler(req, res)) return;
    }
    sendError(res, 404, 'ERR_NOT_FOUND', `no such path: ${req.url ?? ''}`);
  } catch (err) {
    logger.error({ err: toError(err), method: req.method, url: req.url }, 'http handler failed');
    if (!res.headersSent) sendError(res, 500, 'ERR_INTERNAL', 'internal error');
    else res.destroy();
  }
}
