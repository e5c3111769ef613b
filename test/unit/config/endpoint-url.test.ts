/**
 * Endpoint URLs and names, at their worst (issue 7, item 8): a URL must name its host in its
 * own text (the WHATWG parser reads `http:///events` as host `events`), and hold nothing that
 * a parser would silently drop or rewrite; a name must stay inert inside Redis keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { ENDPOINT_NAME_PATTERN, parseEndpoint } from '../../../src/config/registry/endpoint.js';
import type { EndpointSettings } from '../../../src/config/types.js';
import { endpointKeys, queueName } from '../../../src/queue/names.js';
import { checkEndpointUrl } from '../../../src/config/registry/endpoint-url.js';

const KEY = 'notifications.endpoints[0].url';
const read = (url: string, extra: Record<string, unknown> = {}): EndpointSettings =>
  parseEndpoint({ name: 'a', url, ...extra }, 'notifications.endpoints[0]', () => '');

function urlError(url: string): ConfigError {
  try {
    read(url);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(url)}`);
}

describe('endpoint url: refused, naming the key and the reason', () => {
  it.each([
    ['http:///events', 'has no host'],
    ['http:///', 'has no host'],
    ['http://', 'has no host'],
    ['https://', 'has no host'],
    ['http://:80/x', 'has no host'],
    ['http://user:pw@/x', 'has no host'],
    ['http://@:8080', 'has no host'],
    ['http:events', 'must be an absolute http:// or https:// URL'],
    ['http:/events', 'must be an absolute http:// or https:// URL'],
    ['//a.example/x', 'must be an absolute http:// or https:// URL'],
    ['/events', 'must be an absolute http:// or https:// URL'],
    ['ftp://a/x', 'must be an absolute http:// or https:// URL'],
    ['', 'must be an absolute http:// or https:// URL'],
    [' http://a.example/x', 'whitespace or a control character (U+0020 at offset 0)'],
    ['http://a.example/x ', 'whitespace or a control character (U+0020 at offset 18)'],
    ['http://a b/', 'whitespace or a control character (U+0020 at offset 8)'],
    ['http://a.example/x\ty', 'whitespace or a control character (U+0009 at offset 18)'],
    ['http://a.exa\nmple/', 'whitespace or a control character (U+000A at offset 12)'],
    ['http://a.example/\r', 'whitespace or a control character (U+000D at offset 17)'],
    ['http://a.example/\u0000', 'whitespace or a control character (U+0000 at offset 17)'],
    ['http://a.example/\u007f', 'whitespace or a control character (U+007F at offset 17)'],
    ['http://a.example/\u0085', 'whitespace or a control character (U+0085 at offset 17)'],
    ['http://a.example/\u00a0', 'whitespace or a control character (U+00A0 at offset 17)'],
    ['http://a.example/\u2028', 'whitespace or a control character (U+2028 at offset 17)'],
    ['http://a.example/x#frag', 'has a fragment (#…)'],
    ['http://a.example/x#', 'has a fragment (#…)'],
    ['http:\\\\a.example\\x', 'a backslash'],
    ['http://a.example/x\\y', 'a backslash'],
    ['http://a.example:99999/x', 'is not a valid URL'],
    ['http://a.example:8o/x', 'is not a valid URL'],
    ['http://[::1/x', 'is not a valid URL'],
  ])('%j: %s', (url, why) => {
    const err = urlError(url);
    expect(err.key).toBe(KEY);
    expect(err.message).toContain(`${KEY}: `);
    expect(err.message).toContain(why);
  });
});

it('a refused url is shown without its credentials, query or fragment', () => {
  for (const url of [
    'http://user:pw-s3cret@/x?token=t0k-s3cret',
    'http://user:pw-s3cret@a.example/x#t0k-s3cret',
    'http://user:pw-s3cret@a b/?token=t0k-s3cret',
  ]) {
    const { message } = urlError(url);
    expect(message).not.toContain('s3cret');
    expect(message).toMatch(/got "http:\/\/\*\*\*@[^"]*"/);
  }
});

describe('endpoint url: accepted', () => {
  it.each([
    'http://a.example/events',
    'HTTPS://A.EXAMPLE',
    'https://a.example:8443/x?y=1&z=%23',
    'http://127.0.0.1:5055/events',
    'http://[::1]:8080/x',
    'http://a:/x',
    'http://user:pw@a.example/x',
    'http://a.example/caf%C3%A9',
  ])('%s', (url) => {
    expect(read(url).url).toBe(url);
  });

  it('an empty url is fine on a disabled endpoint (never contacted)', () => {
    expect(read('', { disabled: true }).url).toBe('');
  });
});

/** The hash tag Redis Cluster hashes for `key` (cluster spec, keyHashSlot). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close <= open + 1 ? key : key.slice(open + 1, close);
}

describe('endpoint names stay inert inside Redis keys', () => {
  const hostile = [...'{}:*?[]\\ \t\n\r"\'$%#/@!^|~,;=+()<>`'];
  const safe = [...'aZ09._-'];
  const anyName = fc.oneof(
    fc.string({ unit: fc.constantFrom(...safe, ...hostile), maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(...safe), minLength: 1, maxLength: 110 }),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );

  it('an accepted name is [A-Za-z0-9._-], at most 100 long, and its keys hash on {ep-<name>}', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyName, (name) => {
        if (!ENDPOINT_NAME_PATTERN.test(name)) return;
        accepted++;
        expect(name).toMatch(/^[A-Za-z0-9._-]{1,100}$/);
        expect(queueName(name)).toBe(`{ep-${name}}`);
        const keys = endpointKeys('regnotify', name);
        for (const key of [keys.wait, keys.meta, keys.breaker, keys.dead, keys.job('x')]) {
          expect(hashTag(key)).toBe(`ep-${name}`);
          // The name never adds a ':' segment: prefix, queue, then BullMQ's or ours.
          expect(key.split(':').slice(0, 2)).toEqual(['regnotify', `{ep-${name}}`]);
        }
      }),
      { seed: 20_240_607, numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(100); // the property was not vacuous
  });

  it.each(['', '-a', '.a', '_a', 'a{b', 'a}b', 'a:b', 'a b', 'a/b', 'a*', `a${'b'.repeat(100)}`])(
    'refuses %j',
    (name) => {
      expect(() => parseEndpoint({ name, url: 'http://a/x' }, 'e', () => '')).toThrow(ConfigError);
    },
  );
});

describe('userinfo the HTTP sink could never send', () => {
  it('is refused at load, naming the key, without showing the password', () => {
    expect(() =>
      checkEndpointUrl('http://u:pa%zzss@h/x', false, 'notifications.endpoints[0].url'),
    ).toThrow(
      /notifications\.endpoints\[0\]\.url: has a user or password with an invalid %-escape.*"http:\/\/\*\*\*@h\/x"/,
    );
  });
});
