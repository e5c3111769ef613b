/**
 * The check of an endpoint's `url`. The WHATWG parser that undici uses forgives a great deal
 * that Go's net/url refuses, and rewrites it silently: `http:///events` and `http:events` get
 * the host `events`, tabs and newlines are dropped, `\` becomes `/`, surrounding spaces are
 * trimmed. A URL is an operator's statement of where events go, so the text must say it plainly:
 * an absolute http(s) URL whose host is written after `//`, nothing a parser would drop or
 * rewrite, and no fragment (never sent, so a token put there would silently not arrive).
 */
import { ConfigError } from '../../errors.js';
import { basicAuthorization } from '../../sinks/url-display.js';

/** Scheme and authority as written: `http://user@host:80` → ['http', 'user@host:80']. */
const SCHEME_AUTHORITY = /^(https?):\/\/([^/?#]*)/i;

/** Whitespace (Unicode's, not only ASCII's) and C0/C1 control characters. */
function isSpaceOrControl(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return c <= 0x20 || (c >= 0x7f && c <= 0x9f) || /\s/u.test(ch);
}

function hex(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The host part of an authority: userinfo and port cut off, IPv6 brackets kept. */
function hostOf(authority: string): string {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const close = hostPort.startsWith('[') ? hostPort.indexOf(']') : -1;
  if (close > 0) return hostPort.slice(0, close + 1); // `[]` is no host; `[::1` fails new URL()
  const colon = hostPort.indexOf(':');
  return colon < 0 ? hostPort : hostPort.slice(0, colon);
}

/**
 * `url` as an error may show it: credentials, query and fragment hidden (a refused URL can
 * still carry a password or a token, and start-up errors reach logs).
 */
function shown(url: string): string {
  const hidden = url.replace(/^([^/?#]*\/\/)[^/?#]*@/, '$1***@').replace(/([?#]).*$/s, '$1***');
  return JSON.stringify(hidden);
}

/** Throws a ConfigError naming `key` unless `url` is usable as an endpoint URL. */
export function checkEndpointUrl(url: string, disabled: boolean, key: string): void {
  // A disabled endpoint is never contacted, so a registry config may leave its URL empty.
  if (url === '' && disabled) return;
  const refuse = (why: string): ConfigError => new ConfigError(key, `${why}, got ${shown(url)}`);
  let offset = 0;
  for (const ch of url) {
    if (isSpaceOrControl(ch)) {
      throw refuse(
        `must not contain whitespace or a control character (${hex(ch)} at offset ${offset})`,
      );
    }
    offset += ch.length;
  }
  if (url.includes('\\')) {
    throw refuse('must not contain a backslash (parsers disagree on it; write %5C in a path)');
  }
  const m = SCHEME_AUTHORITY.exec(url);
  if (!m) throw refuse('must be an absolute http:// or https:// URL, with the host after //');
  const host = hostOf(m[2] ?? '');
  if (host === '' || host === '[]') {
    throw refuse('has no host (the host goes between // and the next / or :port)');
  }
  const hash = url.indexOf('#');
  if (hash >= 0) {
    throw refuse(
      'has a fragment (#…), which is never sent: remove it, or write a # that belongs to the path or query as %23',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refuse('is not a valid URL (check the port and the host)');
  }
  try {
    basicAuthorization(parsed); // what every attempt would send: fail now, not on each POST
  } catch {
    throw refuse('has a user or password with an invalid %-escape (write % itself as %25)');
  }
}
