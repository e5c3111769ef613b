/**
 * Endpoint URLs carry secrets: a password in the userinfo (`http://user:pass@host/`, which Go's
 * client turns into Basic auth) and tokens in the query (`?token=…`). This module is the one
 * place that knows which parts those are:
 * - `displayUrl`: the only form a log line, an error message, `/debug/vars` or
 *   `regnotify config` shows: `http://user:***@host/p?token=***`;
 * - `urlSecrets`: the same values in every spelling, for the logger's scrub list (a second layer
 *   for text we do not format ourselves);
 * - `basicAuthorization`: the header Go's client sends for a URL with userinfo.
 *
 * What is hidden: the password (or, when there is none, the user name: `https://TOKEN@host/` is
 * a common way to pass a token), every query value (a bare `?key` counts as a value), and the
 * fragment. Scheme, host, port, path and query keys stay visible: they are what an operator
 * needs to tell endpoints apart. A secret in the path is not recognised.
 */

export const MASK = '***';

/** Query values at least this long, or under a name like these, go on the scrub list. */
const SCRUB_MIN_LENGTH = 6;
const SECRET_NAME = /token|key|secret|sig|pass|auth|cred|session|code/i;

/** The display form of `raw`; never throws, also for text that is not an http(s) URL. */
export function displayUrl(raw: string): string {
  const u = parse(raw);
  if (!u) return maskUnparsed(raw);
  const shown = new URL(u.href);
  if (shown.password !== '') shown.password = MASK;
  else if (shown.username !== '') shown.username = MASK;
  if (shown.search !== '') shown.search = maskQuery(shown.search.slice(1));
  if (shown.hash !== '') shown.hash = MASK;
  return shown.href;
}

/**
 * Every secret of `raw` in the spellings a log line may carry: as configured, as WHATWG
 * serialises it, decoded, and the Basic credential built from the userinfo. The logger adds the
 * percent-encoded form of each. Empty values are left out.
 */
export function urlSecrets(raw: string): string[] {
  const out = new Set<string>();
  const add = (s: string): void => {
    if (s === '') return;
    out.add(s);
    const decoded = percentDecode(s);
    if (decoded !== undefined) out.add(decoded);
  };
  // The scrubber blanks a secret wherever it appears in a log line, so a short query value
  // that is no secret (`?v=2`) would blank every "2" in every line: query values and the
  // fragment are scrubbed when they look like secrets (long enough, or named like one). The
  // display form hides them all regardless.
  const addQuery = (name: string, value: string): void => {
    if (value.length >= SCRUB_MIN_LENGTH || SECRET_NAME.test(name)) add(value);
  };
  const u = parse(raw);
  const parts = splitRaw(raw, u !== undefined);
  add(parts.credential);
  const addQueryOf = (query: string): void => {
    for (const part of query.split('&')) {
      const eq = part.indexOf('=');
      const [name, v] = eq < 0 ? ['', part] : [part.slice(0, eq), part.slice(eq + 1)];
      addQuery(name, v);
      addQuery(name, v.replaceAll('+', ' '));
    }
  };
  addQueryOf(parts.query ?? '');
  addQuery('', parts.fragment);
  if (u) {
    add(u.password !== '' ? u.password : u.username);
    addQueryOf(u.search.slice(1));
    addQuery('', u.hash.slice(1));
    const basic = basicCredential(u);
    if (basic !== undefined) add(basic);
  }
  out.delete('');
  return [...out];
}

/**
 * `Basic <base64(user:password)>` for a URL with userinfo, as Go's client.go send() builds it;
 * undefined without userinfo. The parts are percent-decoded to bytes the way Go's url package
 * decodes userinfo (`+` stays `+`). Throws UserinfoError on an escape Go would refuse (`%zz`).
 * Deviation: `http://@host/` (an empty userinfo) has no userinfo in a WHATWG URL, so no header
 * is sent where Go sends `Basic Og==`.
 */
export function basicAuthorization(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const user = goUnescape(url.username);
  const pass = goUnescape(url.password);
  if (!user || !pass) throw new UserinfoError(url);
  const credential = Buffer.concat([user, Buffer.from(':'), pass]).toString('base64');
  return `Basic ${credential}`;
}

/** The base64 credential sent for `url`, or undefined (none, or a userinfo Go refuses). */
function basicCredential(url: URL): string | undefined {
  try {
    return basicAuthorization(url)?.slice('Basic '.length);
  } catch {
    return undefined; // never sent: the attempt fails before a request is made
  }
}

/** The URL as it goes on the wire: no userinfo (its credential travels in Authorization). */
export function wireUrl(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const wire = new URL(url.href);
  wire.username = '';
  wire.password = '';
  return wire;
}

/**
 * A userinfo that Go's url.Parse refuses: Go fails every request to it, and so do we (it
 * becomes the cause of an HttpTransportError). Not a RegnotifyError: src/errors.ts imports this
 * module, and a class cannot extend one from a module that is still loading.
 */
export class UserinfoError extends Error {
  readonly code = 'ERR_URL_USERINFO';
  constructor(url: URL) {
    super(`parse "${displayUrl(url.href)}": invalid URL escape in userinfo`);
    this.name = 'UserinfoError';
  }
}

/** An http(s) URL, or undefined: other text (`u:pw@host` parses as scheme `u:`) is masked as text. */
function parse(raw: string): URL | undefined {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** Percent escapes to bytes, like Go's unescape(s, encodeUserPassword); undefined when invalid. */
function goUnescape(s: string): Buffer | undefined {
  if (!s.includes('%')) return Buffer.from(s, 'utf8');
  const bytes: number[] = [];
  const text = Buffer.from(s, 'utf8');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = text.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes);
}

/** decodeURIComponent that gives undefined instead of throwing, and only when it changes s. */
function percentDecode(s: string): string | undefined {
  if (!s.includes('%')) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The values of a query string (without '?'): `k=v` → v, a bare `k` → k. */
function queryValues(query: string): string[] {
  if (query === '') return [];
  return query.split('&').map((part) => {
    const eq = part.indexOf('=');
    return eq < 0 ? part : part.slice(eq + 1);
  });
}

function maskQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      if (part === '') return part;
      const eq = part.indexOf('=');
      if (eq < 0) return MASK;
      return eq === part.length - 1 ? part : `${part.slice(0, eq + 1)}${MASK}`;
    })
    .join('&');
}

interface RawParts {
  /** Text before the userinfo's secret (`scheme://user:`), or the whole text before '@'. */
  head: string;
  /** The secret part of the userinfo: the password, or the user name when there is none. */
  credential: string;
  /** From '@' (included) to the query. */
  rest: string;
  query: string | undefined;
  queryValues: string[];
  fragment: string;
}

/**
 * Splits the text as written. For a URL that parses, the userinfo is what precedes the last '@'
 * of the authority (as WHATWG and Go read it); for text that does not parse, it is everything
 * before the last '@' ahead of the query, so that a broken URL hides too much rather than too
 * little.
 */
function splitRaw(raw: string, parsed: boolean): RawParts {
  let text = raw;
  let fragment = '';
  const hash = text.indexOf('#');
  if (hash >= 0) [text, fragment] = [text.slice(0, hash), text.slice(hash + 1)];
  let query: string | undefined;
  const q = text.indexOf('?');
  if (q >= 0) [text, query] = [text.slice(0, q), text.slice(q + 1)];
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*/.exec(text)?.[0] ?? '';
  const afterScheme = text.slice(scheme.length);
  const authorityEnd = parsed ? afterScheme.search(/[/\\]/) : -1;
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  const parts: RawParts = {
    head: text,
    credential: '',
    rest: '',
    query,
    queryValues: queryValues(query ?? ''),
    fragment,
  };
  if (at < 0) return parts;
  const userinfo = authority.slice(0, at);
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? '' : userinfo.slice(0, colon + 1);
  parts.head = scheme + user;
  parts.credential = colon < 0 ? userinfo : userinfo.slice(colon + 1);
  parts.rest = afterScheme.slice(at);
  return parts;
}

function maskUnparsed(raw: string): string {
  const p = splitRaw(raw, false);
  const userinfo = `${p.head}${p.credential === '' ? '' : MASK}${p.rest}`;
  const query = p.query === undefined ? '' : `?${maskQuery(p.query)}`;
  const fragment = raw.includes('#') ? `#${p.fragment === '' ? '' : MASK}` : '';
  return `${userinfo}${query}${fragment}`;
}
