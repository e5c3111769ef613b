import { isIP } from 'node:net';
import { InvalidReferenceError } from '../errors.js';
import { firstHeader } from './headers.js';
import type { RequestLike } from './headers.js';

/**
 * The registry's `v2.URLBuilder` (registry/api/v2/urls.go), reduced to the two URLs events
 * carry: `<root>v2/<name>/manifests/<digest>` and `<root>v2/<name>/blobs/<digest>` (docs/compatibility.md
 * §2.3). The root is a configured URL (`http.host`) or is derived from each request.
 */
export class URLBuilder {
  /** `scheme://authority`, or '' for a path-only root. */
  private readonly origin: string;
  /** The root's path; 'v2/…' is resolved against it as a relative reference (RFC 3986 §5.2). */
  private readonly basePath: string;
  private readonly relative: boolean;

  private constructor(origin: string, basePath: string, relative: boolean) {
    this.origin = origin;
    this.basePath = basePath;
    this.relative = relative;
  }

  /** Go's `NewURLBuilderFromString`: the root is an absolute URL, or a bare path like `/r/`. */
  static fromString(root: string, relative = false): URLBuilder {
    if (root.startsWith('/') && !root.startsWith('//')) {
      return new URLBuilder('', stripQuery(root), relative);
    }
    let url: URL;
    try {
      url = new URL(root);
    } catch (err) {
      throw new InvalidReferenceError('url root', root, String(err));
    }
    const userinfo = url.username
      ? `${url.username}${url.password ? `:${url.password}` : ''}@`
      : '';
    return new URLBuilder(`${url.protocol}//${userinfo}${url.host}`, url.pathname, relative);
  }

  /**
   * Go's `NewURLBuilderFromRequest`, with the precedence docs/compatibility.md §2.3 states: a `Forwarded`
   * header's `proto=`/`host=` win; else `X-Forwarded-Proto` and the first `X-Forwarded-Host`;
   * else TLS → https and the `Host` header. A path prefix before `/v2/` (a registry mounted
   * under a sub-path behind a proxy) is kept.
   */
  static fromRequest(req: RequestLike, relative = false): URLBuilder {
    const forwarded = parseForwarded(firstHeader(req, 'forwarded') ?? '');
    const scheme =
      forwarded.get('proto') ||
      firstHeader(req, 'x-forwarded-proto') ||
      (req.socket.encrypted === true ? 'https' : 'http');
    const forwardedHost = (firstHeader(req, 'x-forwarded-host') ?? '').split(',')[0]?.trim();
    const host = bracketIPv6(
      forwarded.get('host') || forwardedHost || (firstHeader(req, 'host') ?? ''),
    );
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const index = path.indexOf('/v2/');
    const prefix = index > 0 ? path.slice(0, index + 1) : '/';
    return new URLBuilder(`${scheme.toLowerCase()}://${host}`, prefix, relative);
  }

  /** The manifest URL, by digest (the bridge never builds one by tag). */
  buildManifestURL(name: string, digest: string): string {
    validateRepositoryName(name);
    validateDigest(digest);
    return this.build(`v2/${name}/manifests/${digest}`);
  }

  buildBlobURL(name: string, digest: string): string {
    validateRepositoryName(name);
    validateDigest(digest);
    return this.build(`v2/${name}/blobs/${digest}`);
  }

  private build(route: string): string {
    // RFC 3986 merge: a base path without a trailing slash loses its last segment, exactly
    // what Go's url.ResolveReference does to a root like "http://h/prefix".
    const dir = this.basePath.slice(0, this.basePath.lastIndexOf('/') + 1) || '/';
    const path = `${dir}${route}`;
    return this.relative ? path : `${this.origin}${path}`;
  }
}

// distribution/reference's grammar (regexp.go): lowercase path components joined by '/',
// optionally led by a domain with a port; at most 255 characters in all.
const PathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DomainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const Domain = `(?:${DomainComponent}(?:\\.${DomainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const NamePattern = new RegExp(`^(?:${Domain}/)?${PathComponent}(?:/${PathComponent})*$`);
const NameTotalLengthMax = 255;

// go-digest / reference: `algorithm:encoded`, encoded at least 32 hex digits.
const DigestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const KnownDigestLengths: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

/** Throws InvalidReferenceError unless `name` is a repository name the registry accepts. */
export function validateRepositoryName(name: string): void {
  if (name.length > NameTotalLengthMax) {
    throw new InvalidReferenceError('repository name', name, `longer than ${NameTotalLengthMax}`);
  }
  if (!NamePattern.test(name)) {
    throw new InvalidReferenceError(
      'repository name',
      name,
      'does not match the reference grammar',
    );
  }
}

/** Throws InvalidReferenceError unless `digest` is `algorithm:hex` (lowercase, right length for sha2). */
export function validateDigest(digest: string): void {
  if (!DigestPattern.test(digest)) {
    throw new InvalidReferenceError('digest', digest, 'not of the form algorithm:hex');
  }
  const colon = digest.indexOf(':');
  const length = KnownDigestLengths.get(digest.slice(0, colon));
  const hex = digest.slice(colon + 1);
  if (length !== undefined && (hex.length !== length || hex !== hex.toLowerCase())) {
    throw new InvalidReferenceError('digest', digest, `needs ${length} lowercase hex digits`);
  }
}

/**
 * The first element of an RFC 7239 `Forwarded` header as lowercase-keyed pairs
 * (`for=…;proto=https;host=example.com, for=…`), quotes removed.
 */
export function parseForwarded(header: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const first = header.split(',')[0] ?? '';
  for (const part of first.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    if (key && !pairs.has(key)) pairs.set(key, value);
  }
  return pairs;
}

/** A bare IPv6 address must be bracketed in a URL authority. */
function bracketIPv6(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function stripQuery(path: string): string {
  return path.split(/[?#]/)[0] ?? path;
}
