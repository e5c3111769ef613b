import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Credentials the ingest demands. A bearer `token`, a basic `username`/`password`, or both
 * (either then passes). Empty strings mean "not configured".
 */
export interface IngestAuth {
  token?: string;
  username?: string;
  password?: string;
}

/** sha256 first so both sides have equal length: timingSafeEqual then leaks nothing, not even the length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function authConfigured(auth: IngestAuth | undefined): boolean {
  return Boolean(auth && (auth.token || auth.username || auth.password));
}

/** Whether an Authorization header satisfies `auth`. Both checks run in constant time. */
export function authenticate(auth: IngestAuth, header: string | undefined): boolean {
  if (!authConfigured(auth)) return true;
  if (header === undefined) return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (scheme === 'bearer' && auth.token) return sameSecret(credentials, auth.token);
  if (scheme === 'basic' && (auth.username || auth.password)) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Evaluate both comparisons, always: no early exit that would tell which part was wrong.
    const userOk = sameSecret(decoded.slice(0, colon), auth.username ?? '');
    const passOk = sameSecret(decoded.slice(colon + 1), auth.password ?? '');
    return userOk && passOk;
  }
  return false;
}

/** The WWW-Authenticate challenges for a 401, one per configured scheme. */
export function challenges(auth: IngestAuth): string[] {
  const out: string[] = [];
  if (auth.token) out.push('Bearer realm="regnotify"');
  if (auth.username || auth.password) out.push('Basic realm="regnotify", charset="UTF-8"');
  return out;
}
