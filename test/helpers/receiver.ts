/**
 * A webhook receiver for tests: a real node:http server on 127.0.0.1 (ephemeral port) that
 * records every request and answers whatever the test chooses — a status, a slow answer, or a
 * dropped connection. It can go down and come back on the same port.
 */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RecordedRequest {
  method: string;
  url: string;
  /** As node gives them: names lowercased, repeated headers joined. */
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  /** Wall-clock ms (performance.timeOrigin + performance.now()) when the headers arrived. */
  receivedAt: number;
  /** Same clock, when the response was fully written (unset if dropped or still pending). */
  completedAt?: number;
  /** The status answered (unset if the connection was destroyed instead). */
  status?: number;
}

export interface ResponsePlan {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this long (the request counts as in flight meanwhile). */
  delayMs?: number;
  /** Destroy the socket instead of answering (a transport error for the client). */
  destroy?: boolean;
}

/** Chooses the answer; `index` is the request's position in `requests` (0-based). */
export type Responder = (req: RecordedRequest, index: number) => number | ResponsePlan;

export interface StartReceiverOptions {
  respond?: Responder;
}

export interface Receiver {
  /** http://127.0.0.1:P/events */
  readonly url: string;
  readonly port: number;
  /** Every request whose body was fully read, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Resolves once at least `count` requests arrived; rejects saying how many did by then. */
  waitFor(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  setRespond(fn: Responder): void;
  /** Requests being handled now (headers received, response not finished). */
  inFlight(): number;
  /** The most requests ever handled at once. */
  readonly maxInFlight: number;
  /** Stop listening and destroy every open socket (keep-alive ones included). */
  close(): Promise<void>;
  /** Listen again on the same port, with the same records and responder. */
  reopen(): Promise<void>;
}

export async function startReceiver(options: StartReceiverOptions = {}): Promise<Receiver> {
  const state = {
    respond: options.respond ?? ((): number => 200),
    requests: [] as RecordedRequest[],
    inFlight: 0,
    maxInFlight: 0,
    waiters: new Set<() => void>(),
    timers: new Set<NodeJS.Timeout>(),
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void =>
    handleRequest(state, req, res);
  let server = await listen(http.createServer(handle), 0);
  const port = portOf(server);

  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    requests: state.requests,
    get maxInFlight(): number {
      return state.maxInFlight;
    },
    inFlight: () => state.inFlight,
    setRespond(fn: Responder): void {
      state.respond = fn;
    },
    waitFor: (count, timeoutMs = 10_000) => waitForCount(state, count, timeoutMs),
    async close(): Promise<void> {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      await closeServer(server);
    },
    async reopen(): Promise<void> {
      if (server.listening) return;
      server = await listen(http.createServer(handle), port);
    },
  };
}

/** Parses a recorded envelope body and returns the ids of the events in it, in order. */
export function eventIdsOf(req: RecordedRequest): string[] {
  let envelope: unknown;
  try {
    envelope = JSON.parse(req.body);
  } catch (err) {
    throw new Error(
      `eventIdsOf: body is not JSON (${(err as Error).message}): ${req.body.slice(0, 200)}`,
    );
  }
  const events = (envelope as { events?: unknown }).events;
  if (!Array.isArray(events))
    throw new Error(`eventIdsOf: body has no "events" array: ${req.body.slice(0, 200)}`);
  return events.map((e: unknown, i) => {
    const id = (e as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') throw new Error(`eventIdsOf: events[${i}] has no string id`);
    return id;
  });
}

interface ReceiverState {
  respond: Responder;
  requests: RecordedRequest[];
  inFlight: number;
  maxInFlight: number;
  waiters: Set<() => void>;
  timers: Set<NodeJS.Timeout>;
}

function handleRequest(state: ReceiverState, req: IncomingMessage, res: ServerResponse): void {
  const receivedAt = now();
  state.inFlight++;
  state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
  let settled = false;
  const settle = (): void => {
    if (!settled) state.inFlight--;
    settled = true;
  };
  res.once('finish', settle);
  res.once('close', settle);

  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: Buffer.concat(chunks).toString('utf8'),
      receivedAt,
    };
    const index = state.requests.push(record) - 1;
    for (const wake of [...state.waiters]) wake();
    answer(state, record, index, res);
  });
}

function answer(
  state: ReceiverState,
  record: RecordedRequest,
  index: number,
  res: ServerResponse,
): void {
  let plan: ResponsePlan;
  try {
    const chosen = state.respond(record, index);
    plan = typeof chosen === 'number' ? { status: chosen } : chosen;
  } catch (err) {
    plan = { status: 500, body: `receiver responder threw: ${(err as Error).message}` };
  }
  const send = (): void => {
    if (plan.destroy === true) {
      res.socket?.destroy();
      return;
    }
    res.once('finish', () => (record.completedAt = now()));
    record.status = plan.status;
    res.writeHead(plan.status, plan.headers);
    res.end(plan.body ?? '');
  };
  if (plan.delayMs === undefined || plan.delayMs <= 0) return send();
  const timer = setTimeout(() => {
    state.timers.delete(timer);
    send();
  }, plan.delayMs);
  state.timers.add(timer);
}

function waitForCount(
  state: ReceiverState,
  count: number,
  timeoutMs: number,
): Promise<RecordedRequest[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      if (state.requests.length < count) return false;
      cleanup();
      resolve(state.requests);
      return true;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `receiver: expected ${count} request(s) within ${timeoutMs} ms, ${state.requests.length} arrived`,
        ),
      );
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      state.waiters.delete(wake);
    };
    const wake = (): void => void check();
    if (!check()) state.waiters.add(wake);
  });
}

function listen(server: http.Server, port: number): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Keep-alive and half-answered connections would keep close() pending; "receiver down"
    // must look like a dead host to the client, so cut them all.
    server.closeAllConnections();
  });
}

function portOf(server: http.Server): number {
  const address = server.address();
  if (typeof address !== 'object' || address === null)
    throw new Error('receiver: server has no port');
  return address.port;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}
