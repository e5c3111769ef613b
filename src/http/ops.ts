import type { Logger } from '../log.js';
import { RegnotifyError, toError } from '../errors.js';
import { authConfigured, authenticate, challenges } from './auth.js';
import type { IngestAuth } from './auth.js';
import type { RedisClient } from '../queue/connection.js';
import { sendError, sendJson, sendText } from './respond.js';
import type { HttpHandler } from './server.js';

/** One readiness condition: resolves when fine, throws (with a useful message) when not. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface OpsOptions {
  /** What /readyz requires. Each runs with `checkTimeoutMs`; all run in parallel. */
  checks?: readonly ReadinessCheck[];
  checkTimeoutMs?: number;
  /** /metrics: prom-client's exposition (see metrics/prometheus.ts). Absent → 404. */
  metrics?: { contentType: string; metrics(): Promise<string> };
  /** /debug/vars body (see metrics/expvar.ts). Absent → 404. */
  expvar?: () => Promise<string>;
  /** Who may read /metrics, /debug/vars and /readyz's failure details (see `opsGuard`). */
  access?: OpsAccess;
  logger: Logger;
}

/**
 * `token` (metrics.token): when set, the only credential (Bearer). Else, when the ingest has
 * credentials, those. Else open: the default listener is 127.0.0.1.
 */
export interface OpsAccess {
  token?: string;
  ingest?: IngestAuth;
}

interface OpsGuard {
  /** Whether the request may see the protected endpoints and details. */
  allows(authorization: string | undefined): boolean;
  /** WWW-Authenticate challenges for a 401. */
  challenges: string[];
}

/** What `access` asks for, resolved once. `undefined` = open. */
export function opsGuard(access: OpsAccess | undefined): OpsGuard | undefined {
  const required: IngestAuth | undefined = access?.token
    ? { token: access.token }
    : authConfigured(access?.ingest)
      ? access?.ingest
      : undefined;
  if (required === undefined) return undefined;
  return { allows: (header) => authenticate(required, header), challenges: challenges(required) };
}

/** Redis answers PING within `timeoutMs` (default 1 s). */
export function redisCheck(client: RedisClient, timeoutMs = 1000): ReadinessCheck {
  return {
    name: 'redis',
    check: () =>
      withTimeout(
        client.ping().then(() => undefined),
        timeoutMs,
        'no PONG',
      ),
  };
}

/**
 * Why a readiness check failed where the dependency gave no error of its own: the workers are
 * not running, or the check did not answer in time. Only its message reaches /readyz.
 */
export class NotReadyError extends RegnotifyError {
  constructor(code: 'ERR_WORKERS_NOT_RUNNING' | 'ERR_CHECK_TIMEOUT', message: string) {
    super(code, message);
  }
}

/** The delivery workers of this process are running (only add it when workers are enabled). */
export function workersCheck(running: () => boolean): ReadinessCheck {
  return {
    name: 'workers',
    check: () =>
      running()
        ? Promise.resolve()
        : Promise.reject(new NotReadyError('ERR_WORKERS_NOT_RUNNING', 'workers not running')),
  };
}

/**
 * GET /healthz (the process is alive), /readyz (its dependencies work), /metrics, /debug/vars.
 * Each handler returns false for other paths, so they compose with the ingest on one server.
 */
export function createOpsHandler(options: OpsOptions): HttpHandler {
  const timeoutMs = options.checkTimeoutMs ?? 1000;
  const guard = opsGuard(options.access);
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (
      path !== '/healthz' &&
      path !== '/readyz' &&
      path !== '/metrics' &&
      path !== '/debug/vars'
    ) {
      return false;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'ERR_METHOD_NOT_ALLOWED', `use GET on ${path}`, { Allow: 'GET, HEAD' });
      return true;
    }
    const allowed = guard === undefined || guard.allows(req.headers.authorization);
    if (path === '/healthz') {
      sendText(res, 200, 'ok');
    } else if (path === '/readyz') {
      const failed = await runChecks(options.checks ?? [], timeoutMs);
      if (failed.length === 0) sendText(res, 200, 'ready');
      else {
        options.logger.warn({ failed }, 'not ready');
        // The status is for load balancers (anyone); what failed, with error texts that can
        // name hosts, is for the operator (same credentials as /metrics).
        sendJson(res, 503, allowed ? { status: 'unavailable', failed } : { status: 'unavailable' });
      }
    } else if (!allowed) {
      const missing = req.headers.authorization === undefined;
      sendError(
        res,
        401,
        'ERR_UNAUTHORIZED',
        missing ? 'credentials required' : 'invalid credentials',
        {
          'WWW-Authenticate': guard?.challenges ?? [],
        },
      );
    } else if (path === '/metrics' && options.metrics) {
      const text = await options.metrics.metrics();
      sendText(res, 200, text, options.metrics.contentType);
    } else if (path === '/debug/vars' && options.expvar) {
      try {
        sendText(res, 200, await options.expvar(), 'application/json; charset=utf-8');
      } catch (err) {
        const message = toError(err).message;
        options.logger.warn({ err: toError(err) }, '/debug/vars: could not read metrics');
        sendError(res, 503, 'ERR_STORE_UNAVAILABLE', message, { 'Retry-After': '1' });
      }
    } else {
      sendError(res, 404, 'ERR_NOT_FOUND', `${path} is not enabled`);
    }
    return true;
  };
}

async function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<{ check: string; error: string }[]> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await withTimeout(c.check(), timeoutMs, 'timed out');
        return undefined;
      } catch (err) {
        return { check: c.name, error: toError(err).message };
      }
    }),
  );
  return results.filter((r) => r !== undefined);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NotReadyError('ERR_CHECK_TIMEOUT', `${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
