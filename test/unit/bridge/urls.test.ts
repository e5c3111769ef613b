import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RequestLike } from '../../../src/bridge/headers.js';
import { parseForwarded, URLBuilder, validateDigest } from '../../../src/bridge/urls.js';
import { InvalidReferenceError } from '../../../src/errors.js';

const digest = `sha256:${'ab'.repeat(32)}`;

function fakeRequest(
  headers: Record<string, string>,
  url = '/v2/foo/manifests/x',
  encrypted = false,
): RequestLike {
  return {
    rawHeaders: Object.entries(headers).flat(),
    method: 'GET',
    url,
    socket: { remoteAddress: '10.0.0.1', remotePort: 5000, encrypted },
  };
}

describe('URLBuilder.fromString', () => {
  it('builds manifest and blob URLs under the root', () => {
    const ub = URLBuilder.fromString('http://test.example.com/');
    expect(ub.buildManifestURL('test/repo', digest)).toBe(
      `http://test.example.com/v2/test/repo/manifests/${digest}`,
    );
    expect(ub.buildBlobURL('test/repo', digest)).toBe(
      `http://test.example.com/v2/test/repo/blobs/${digest}`,
    );
  });

  it('resolves against the root the way url.ResolveReference does', () => {
    expect(URLBuilder.fromString('https://h:5443').buildBlobURL('a', digest)).toBe(
      `https://h:5443/v2/a/blobs/${digest}`,
    );
    expect(URLBuilder.fromString('https://h/prefix/').buildBlobURL('a', digest)).toBe(
      `https://h/prefix/v2/a/blobs/${digest}`,
    );
    // No trailing slash: the last segment is replaced, as in RFC 3986.
    expect(URLBuilder.fromString('https://h/prefix?q=1').buildBlobURL('a', digest)).toBe(
      `https://h/v2/a/blobs/${digest}`,
    );
  });

  it('gives the path only when relative', () => {
    expect(URLBuilder.fromString('http://h/', true).buildManifestURL('lib/x', digest)).toBe(
      `/v2/lib/x/manifests/${digest}`,
    );
    expect(URLBuilder.fromString('/reg/').buildManifestURL('lib/x', digest)).toBe(
      `/reg/v2/lib/x/manifests/${digest}`,
    );
  });

  it('refuses a root that is not a URL', () => {
    expect(() => URLBuilder.fromString('not a url')).toThrow(InvalidReferenceError);
  });
});

describe('URLBuilder validation', () => {
  const ub = URLBuilder.fromString('http://h/');

  it.each([
    'library/test',
    'a',
    'localhost:5000/x/y',
    'my-registry.io/a__b/c.d/e--f',
    '[::1]:5000/x',
  ])('accepts the repository name %s', (name) => {
    expect(ub.buildBlobURL(name, digest)).toBe(`http://h/v2/${name}/blobs/${digest}`);
  });

  it.each(['', 'lib/UPPER', 'a//b', '/a', 'a/', 'a/-b', 'a b', 'a/b?c', 'x'.repeat(256)])(
    'refuses the repository name %j',
    (name) => {
      expect(() => ub.buildBlobURL(name, digest)).toThrow(InvalidReferenceError);
    },
  );

  it.each([
    '',
    'cfgdgst',
    'sha256:abc',
    `sha256:${'AB'.repeat(32)}`,
    `sha256:${'a'.repeat(63)}`,
    `sha256:${'g'.repeat(64)}`,
    `sha256:${'a'.repeat(64)}/x`,
    `:${'a'.repeat(64)}`,
  ])('refuses the digest %j', (bad) => {
    expect(() => validateDigest(bad)).toThrow(InvalidReferenceError);
    expect(() => ub.buildManifestURL('a', bad)).toThrow(InvalidReferenceError);
  });

  it('accepts other algorithms with at least 32 hex digits', () => {
    expect(() => validateDigest(`sha512:${'0'.repeat(128)}`)).not.toThrow();
    expect(() => validateDigest(`blake3:${'0'.repeat(64)}`)).not.toThrow();
  });
});

describe('URLBuilder.fromRequest', () => {
  const url = (req: RequestLike, relative = false): string =>
    URLBuilder.fromRequest(req, relative).buildManifestURL('foo', digest);

  it('uses the Host header, http without TLS, https with TLS', () => {
    expect(url(fakeRequest({ Host: 'reg.example:5000' }))).toBe(
      `http://reg.example:5000/v2/foo/manifests/${digest}`,
    );
    expect(url(fakeRequest({ Host: 'reg.example' }, '/v2/foo/manifests/x', true))).toBe(
      `https://reg.example/v2/foo/manifests/${digest}`,
    );
  });

  it('takes X-Forwarded-Proto and the first X-Forwarded-Host, trimmed', () => {
    const req = fakeRequest({
      Host: 'internal:5000',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': ' outer.example , proxy.example',
    });
    expect(url(req)).toBe(`https://outer.example/v2/foo/manifests/${digest}`);
  });

  it('lets a Forwarded header win over X-Forwarded-*', () => {
    const req = fakeRequest({
      Host: 'internal:5000',
      Forwarded: 'for=192.0.2.60;Proto=https;host="fwd.example:8443", for=198.51.100.17',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-Host': 'xfh.example',
    });
    expect(url(req)).toBe(`https://fwd.example:8443/v2/foo/manifests/${digest}`);
  });

  it('keeps a path prefix before /v2/, also in relative URLs', () => {
    const req = fakeRequest({ Host: 'h' }, '/registry/mirror/v2/foo/manifests/latest?x=1');
    expect(url(req)).toBe(`http://h/registry/mirror/v2/foo/manifests/${digest}`);
    expect(url(req, true)).toBe(`/registry/mirror/v2/foo/manifests/${digest}`);
  });

  it('brackets a bare IPv6 host', () => {
    expect(url(fakeRequest({ 'X-Forwarded-Host': '2001:db8::1' }))).toBe(
      `http://[2001:db8::1]/v2/foo/manifests/${digest}`,
    );
  });

  it('works on a real IncomingMessage', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const server = createServer((req: IncomingMessage, res) => {
        res.end();
        server.close();
        resolve(url(req));
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        fetch(`http://127.0.0.1:${port}/pre/v2/foo/manifests/latest`, {
          headers: { 'X-Forwarded-Host': 'ext.example' },
        }).catch(reject);
      });
    });
    expect(got).toBe(`http://ext.example/pre/v2/foo/manifests/${digest}`);
  });
});

describe('parseForwarded', () => {
  it('reads the first element, keys case-insensitive, quotes removed', () => {
    const pairs = parseForwarded('For="[2001:db8::1]:4711";PROTO=https, proto=http');
    expect(pairs.get('for')).toBe('[2001:db8::1]:4711');
    expect(pairs.get('proto')).toBe('https');
  });
});
