/**
 * The console's JSON API, under one prefix (`/api/v1/`) on the ingest listener and on
 * metrics.addr; the dashboard (./dashboard.ts) and `regnotify` share its implementation
 * (src/console/ops.ts).
 *
 *   GET  /api/v1/                                   { readOnly, endpoints: [names] }
 *   GET  /api/v1/endpoints                          { now, endpoints: [stats + state] }
 *   GET  /api/v1/endpoints/NAME                     { now, endpoint, attempts (the newest 50),
 *                                                     deadLetters (the newest 100, oldest first) }
 *   GET  /api/v1/endpoints/NAME/history?limit=&before=  { attempts } newest first, paged
 *   GET  /api/v1/endpoints/NAME/dead                { deadLetters }
 *   GET  /api/v1/trace?q=ID|REPOSITORY[:TAG]|DIGEST  { events }
 *   POST /api/v1/endpoints/NAME/pause | resume      { endpoint }
 *   POST /api/v1/endpoints/NAME/dead/replay | drop  body {"ids": [...]} or {"all": true}
 *
 * Reads and writes need the console's credentials when any are configured (401 otherwise);
 * in read-only mode writes get 403. Writes must be `application/json`: a cross-site HTML form
 * cannot send that, so a page elsewhere cannot make an operator's browser replay or drop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnknownEndpointError } from '../console/endpoints.js';
import { ConsoleRequestError, DeadLetterNotFoundError } from '../console/errors.js';
import type { Console, Selection } from '../console/ops.js';
import { RegnotifyError, toError } from '../errors.js';
import type { Logger } from '../log.js';
import { readBody } from './body.js';
import { opsGuard } from './ops.js';
import type { OpsAccess } from './ops.js';
import { sendError, sendJson } from './respond.js';
import type { HttpHandler } from './server.js';

export const ApiPrefix = '/api/v1/';

/** A write's body is a list of ids at most: far below this. */
const MAX_BODY_BYTES = 1 << 20;

export interface ConsoleApiOptions {
  console: Console;
  /** Who may use the console (see opsGuard); absent or empty = open. */
  access?: OpsAccess;
  readOnly: boolean;
  logger: Logger;
}

type Route =
  | { op: 'info' | 'endpoints' | 'trace' }
  | { op: 'endpoint' | 'dead' | 'history'; name: string }
  | { op: 'pause' | 'resume' | 'replay' | 'drop'; name: string; write: true };

/** The route of `path` (under the prefix), or a string saying why there is none. */
function routeOf(method: string, rest: string[]): Route | string {
  const get = method === 'GET' || method === 'HEAD';
  const [first, name, action, sub] = rest;
  if (first === undefined || first === '') return get ? { op: 'info' } : 'GET';
  if (first === 'trace' && name === undefined) return get ? { op: 'trace' } : 'GET';
  if (first !== 'endpoints') return 'none';
  if (name === undefined || name === '') return get ? { op: 'endpoints' } : 'GET';
  if (action === undefined) return get ? { op: 'endpoint', name } : 'GET';
  if ((action === 'dead' || action === 'history') && sub === undefined) {
    return get ? { op: action, name } : 'GET';
  }
  const op =
    action === 'pause' || action === 'resume'
      ? sub === undefined
        ? action
        : undefined
      : action === 'dead' && (sub === 'replay' || sub === 'drop')
        ? sub
        : undefined;
  if (op === undefined || rest.length > (action === 'dead' ? 4 : 3)) return 'none';
  return method === 'POST' ? { op, name, write: true } : 'POST';
}

export function createConsoleApiHandler(options: ConsoleApiOptions): HttpHandler {
  const guard = opsGuard(options.access);
  const { logger } = options;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path !== ApiPrefix.slice(0, -1) && !path.startsWith(ApiPrefix)) return false;
    if (guard !== undefined && !guard.allows(req.headers.authorization)) {
      const missing = req.headers.authorization === undefined;
      sendError(
        res,
        401,
        'ERR_UNAUTHORIZED',
        missing ? 'credentials required' : 'invalid credentials',
        {
          'WWW-Authenticate': guard.challenges,
        },
      );
      return true;
    }
    let rest: string[];
    try {
      rest = path.slice(ApiPrefix.length).split('/').map(decodeURIComponent);
    } catch {
      sendError(res, 400, 'ERR_BAD_REQUEST', `bad percent-encoding in ${path}`);
      return true;
    }
    const route = routeOf(req.method ?? 'GET', rest);
    if (typeof route === 'string') {
      if (route === 'none') sendError(res, 404, 'ERR_NOT_FOUND', `no such API path: ${path}`);
      else
        sendError(res, 405, 'ERR_METHOD_NOT_ALLOWED', `use ${route} on ${path}`, { Allow: route });
      return true;
    }
    if ('write' in route && options.readOnly) {
      sendError(res, 403, 'ERR_READ_ONLY', 'the console is read-only (console.readOnly)');
      return true;
    }
    try {
      await answer(route, req, res, options);
      if ('write' in route)
        logger.info({ endpoint: route.name, op: route.op }, 'console: operator action');
    } catch (err) {
      sendFailure(res, err, logger);
    }
    return true;
  };
}

async function answer(
  route: Route,
  req: IncomingMessage,
  res: ServerResponse,
  { console: ops, readOnly }: ConsoleApiOptions,
): Promise<void> {
  switch (route.op) {
    case 'info':
      return sendJson(res, 200, { readOnly, endpoints: await ops.endpointNames() });
    case 'endpoints':
      return sendJson(res, 200, { now: Date.now(), endpoints: await ops.endpoints() });
    case 'endpoint': {
      const endpoint = await ops.endpoint(route.name);
      const [attempts, deadLetters] = await Promise.all([
        ops.history(route.name),
        ops.deadLetters(route.name, 100),
      ]);
      return sendJson(res, 200, { now: Date.now(), endpoint, attempts, deadLetters });
    }
    case 'history': {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const limit = query.get('limit');
      const before = query.get('before');
      const attempts = await ops.history(
        route.name,
        limit === null ? 50 : Number(limit),
        before ?? undefined,
      );
      return sendJson(res, 200, { attempts });
    }
    case 'trace': {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('q') ?? '';
      return sendJson(res, 200, { query: q, events: await ops.trace(q) });
    }
    case 'dead':
      return sendJson(res, 200, { deadLetters: await ops.deadLetters(route.name) });
    case 'pause':
    case 'resume':
      await ops.known(route.name);
      await readSelection(req, false);
      return sendJson(res, 200, {
        endpoint: await ops.setPaused(route.name, route.op === 'pause'),
      });
    case 'replay':
    case 'drop': {
      await ops.known(route.name);
      const selection = await readSelection(req, true);
      const result =
        route.op === 'replay'
          ? await ops.replay(route.name, selection)
          : await ops.drop(route.name, selection);
      return sendJson(res, 200, result);
    }
  }
}

/** A write's JSON body: `{"ids": [...]}` or `{"all": true}` where a selection is needed. */
async function readSelection(req: IncomingMessage, needed: boolean): Promise<Selection> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new UnsupportedMediaError(`send Content-Type: application/json (got "${type}")`);
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body.kind === 'too-large')
    throw new ConsoleRequestError(`body larger than ${MAX_BODY_BYTES} bytes`);
  const text = body.kind === 'ok' ? body.bytes.toString('utf8').trim() : '';
  if (!needed) return { all: true };
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text);
  } catch (err) {
    throw new ConsoleRequestError(`body: not JSON (${toError(err).message})`);
  }
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const ids = v['ids'];
  if (v['all'] === true && ids === undefined) return { all: true };
  if (
    Array.isArray(ids) &&
    ids.length > 0 &&
    ids.every((id) => typeof id === 'string' && id !== '')
  ) {
    if (v['all'] !== undefined)
      throw new ConsoleRequestError('body: give "ids" or "all", not both');
    return { ids: ids as string[] };
  }
  throw new ConsoleRequestError('body: expected {"ids": ["<event id>", ...]} or {"all": true}');
}

class UnsupportedMediaError extends RegnotifyError {
  constructor(message: string) {
    super('ERR_UNSUPPORTED_MEDIA_TYPE', message);
  }
}

function sendFailure(res: ServerResponse, thrown: unknown, logger: Logger): void {
  if (thrown instanceof UnknownEndpointError) {
    return sendJson(res, 404, {
      error: { code: thrown.code, message: thrown.message, known: thrown.known },
    });
  }
  if (thrown instanceof DeadLetterNotFoundError) {
    return sendJson(res, 404, {
      error: { code: thrown.code, message: thrown.message, ids: thrown.ids },
    });
  }
  if (thrown instanceof ConsoleRequestError)
    return sendError(res, 400, thrown.code, thrown.message);
  if (thrown instanceof UnsupportedMediaError)
    return sendError(res, 415, thrown.code, thrown.message);
  // Anything else is Redis trouble (or a bug): say so, and that a retry may work.
  const err = toError(thrown);
  logger.warn({ err }, 'console: request failed');
  sendError(res, 503, 'ERR_STORE_UNAVAILABLE', err.message, { 'Retry-After': '1' });
}
