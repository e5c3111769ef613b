import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { redactedConfig, secretValues } from '../../../src/config/secrets.js';
import { HttpStatusError, HttpTransportError } from '../../../src/errors.js';
import { makeScrubber } from '../../../src/log.js';
import { emptyMetrics } from '../../../src/metrics/endpoint-metrics.js';
import { createExpvar } from '../../../src/metrics/expvar.js';
import {
  UserinfoError,
  basicAuthorization,
  displayUrl,
  urlSecrets,
  wireUrl,
} from '../../../src/sinks/url-display.js';

describe('displayUrl', () => {
  it.each([
    ['http://user:pass@h/p?token=abc', 'http://user:***@h/p?token=***'],
    ['https://h:8443/hook?a=1&b=&c&&d=x%20y#frag', 'https://h:8443/hook?a=***&b=&***&&d=***#***'],
    ['https://tok3n@h/p', 'https://***@h/p'], // a user name without password is the credential
    ['http://:pw@h/', 'http://:***@h/'],
    ['http://u:p%40ss@h/', 'http://u:***@h/'],
    ['http://127.0.0.1:5055/events', 'http://127.0.0.1:5055/events'], // nothing to hide
    ['http://h/users/@me', 'http://h/users/@me'], // '@' in the path is not userinfo
  ])('%s → %s', (raw, shown) => {
    expect(displayUrl(raw)).toBe(shown);
  });

  it.each([
    ['http://u:pa/ss@h/x?t=s3c', 'http://u:***@h/x?t=***'], // unparsable: masks up to the last '@'
    ['not a url', 'not a url'],
    ['', ''],
    ['u:pw@host/x', 'u:***@host/x'], // WHATWG: scheme 'u:'; as text, 'pw' is the userinfo
    ['http://[bad?token=abc#x', 'http://[bad?token=***#***'],
  ])('text that is not a URL still hides its secrets: %s', (raw, shown) => {
    expect(displayUrl(raw)).toBe(shown);
  });

  // Hosts, paths, user names and query keys come from [a-z0-9.-]: the marker 'Zq' that starts
  // every secret can only reach the display form through a secret.
  const lower = fc.stringMatching(/^[a-z0-9]{1,8}$/);
  const secret = fc.string({ unit: 'grapheme', minLength: 0, maxLength: 12 }).map((s) => `Zq${s}`);
  // Query values go on the scrub list from 6 characters on (or under a secret-like name).
  const queryValue = fc
    .string({ unit: 'grapheme', minLength: 4, maxLength: 12 })
    .map((s) => `Zq${s}`);
  // How a user may write a secret into a URL: fully encoded, or raw where that stays a URL.
  const structural = (c: string): boolean =>
    c.charCodeAt(0) < 0x20 || c === '\u007f' || /[%@/?#\\&=:+\s[\]^|<>"`{}]/u.test(c);
  const written = (s: string, how: 'full' | 'light'): string =>
    how === 'full'
      ? encodeURIComponent(s)
      : [...s].map((c) => (structural(c) ? encodeURIComponent(c) : c)).join('');
  const endpointUrl = fc.record({
    scheme: fc.constantFrom('http', 'https'),
    user: fc.option(lower, { nil: undefined }),
    password: fc.option(secret, { nil: undefined }),
    host: fc.oneof(fc.constant('127.0.0.1'), fc.stringMatching(/^[a-z]{1,8}(\.[a-z]{1,5}){0,2}$/)),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    path: fc.array(lower, { maxLength: 3 }),
    query: fc.array(fc.tuple(lower, queryValue), { maxLength: 4 }),
    how: fc.constantFrom<'full' | 'light'>('full', 'light'),
  });
  type EndpointUrl = typeof endpointUrl extends fc.Arbitrary<infer T> ? T : never;
  const build = (u: EndpointUrl): string => {
    const userinfo =
      u.password !== undefined
        ? `${u.user ?? ''}:${written(u.password, u.how)}@`
        : u.user !== undefined
          ? `${u.user}@`
          : '';
    const query = u.query.map(([k, v]) => `${k}=${written(v, u.how)}`).join('&');
    return `${u.scheme}://${userinfo}${u.host}${u.port ? `:${u.port}` : ''}/${u.path.join('/')}${query ? `?${query}` : ''}`;
  };

  it('never shows a password or a query value (property, seeded)', () => {
    fc.assert(
      fc.property(endpointUrl, (u) => {
        const raw = build(u);
        const shown = displayUrl(raw);
        expect(shown).not.toContain('Zq');
        // …and keeps what tells endpoints apart.
        const parsed = new URL(shown);
        expect(parsed.host).toBe(new URL(raw).host);
        expect(parsed.pathname).toBe(new URL(raw).pathname);
        if (u.password !== undefined) expect(parsed.username).toBe(u.user ?? '');
        expect([...parsed.searchParams.keys()]).toEqual(u.query.map(([k]) => k));
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('gives the logger every spelling: a line quoting the URL in any form is scrubbed (property, seeded)', () => {
    fc.assert(
      fc.property(endpointUrl, (u) => {
        const raw = build(u);
        const scrub = makeScrubber(urlSecrets(raw));
        const wire = new URL(raw);
        // As written, as WHATWG serialises it, and the decoded values on their own.
        const forms = [raw, wire.href, ...wire.searchParams.values(), u.password ?? ''];
        const basic = basicAuthorization(wire);
        const line = JSON.stringify({ err: `posting ${forms.join(' ')}`, auth: basic ?? '' });
        expect(scrub(line)).not.toContain('Zq');
        if (u.password !== undefined) {
          expect(urlSecrets(raw)).toContain(u.password);
          expect(scrub(line)).not.toContain(basic?.slice(6) ?? '');
        }
        for (const [, v] of u.query) expect(urlSecrets(raw)).toContain(v);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('basicAuthorization (Go client.go send(), url.UserPassword decoding)', () => {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

  it.each([
    ['http://user:pass@h/', 'user:pass'],
    ['http://us%65r:p%40ss+w%C3%B6rd@h/', 'user:p@ss+wörd'], // '+' stays '+' in userinfo
    ['http://user@h/', 'user:'],
    ['http://user:@h/', 'user:'],
    ['http://:pw@h/', ':pw'],
    ['http://u:%E2%82%AC@h/', 'u:€'],
    ['http://u:a b@h/', 'u:a b'], // WHATWG encodes the space; the bytes are the same
  ])('%s → Basic base64(%s)', (raw, credential) => {
    expect(basicAuthorization(new URL(raw))).toBe(`Basic ${b64(credential)}`);
  });

  it('keeps raw bytes that are not UTF-8, as Go does', () => {
    expect(basicAuthorization(new URL('http://u:%FF@h/'))).toBe(
      `Basic ${Buffer.from([0x75, 0x3a, 0xff]).toString('base64')}`,
    );
  });

  it('none without userinfo', () => {
    expect(basicAuthorization(new URL('http://h/p?user=x'))).toBeUndefined();
  });

  it('refuses an escape Go refuses, without showing the password', () => {
    const thrown = (() => {
      try {
        basicAuthorization(new URL('http://u:pa%zzword@h/'));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(UserinfoError);
    expect((thrown as UserinfoError).code).toBe('ERR_URL_USERINFO');
    expect((thrown as Error).message).toBe(
      'parse "http://u:***@h/": invalid URL escape in userinfo',
    );
  });

  it('urlSecrets does not throw on such a URL (the logger is built from it at start-up)', () => {
    expect(urlSecrets('http://u:pa%zzword@h/?token=x%zz')).toEqual(
      expect.arrayContaining(['pa%zzword', 'x%zz']),
    );
  });

  it('wireUrl drops the userinfo and nothing else', () => {
    expect(wireUrl(new URL('http://u:p@h:81/a?b=c#d')).href).toBe('http://h:81/a?b=c#d');
    const plain = new URL('http://h/');
    expect(wireUrl(plain)).toBe(plain);
  });
});

describe('where endpoint URLs are shown', () => {
  const url = 'http://u:s3cretpw@127.0.0.1:9/x?token=t0psecret&v=2';
  const secrets = ['s3cretpw', 't0psecret', Buffer.from('u:s3cretpw').toString('base64')];

  it('error messages (logged on every failed attempt, kept in dead letters)', () => {
    const messages = [
      new HttpStatusError(url, 500, '500 Internal Server Error').message,
      new HttpTransportError(url, 'connect ECONNREFUSED').message,
    ];
    expect(messages[0]).toBe(
      'httpSink{http://u:***@127.0.0.1:9/x?token=***&v=***}: response status 500 Internal Server Error unaccepted',
    );
    for (const m of messages) for (const s of secrets) expect(m).not.toContain(s);
  });

  it('/debug/vars', async () => {
    const body = await createExpvar({
      endpoints: [{ name: 'a', url, headers: {}, timeoutMs: 1000, threshold: 10, backoffMs: 1000 }],
      readStats: () => Promise.resolve(emptyMetrics()),
    })();
    // Go's JSON encoder escapes '&' as \u0026.
    expect(body).toContain('"url":"http://u:***@127.0.0.1:9/x?token=***\\u0026v=***"');
    for (const s of secrets) expect(body).not.toContain(s);
  });

  const { config } = loadConfig({
    env: {
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'a',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_URL: url,
    },
  });

  it('regnotify config (redactedConfig)', () => {
    const printed = JSON.stringify(redactedConfig(config));
    expect(redactedConfig(config).notifications.endpoints[0]?.url).toBe(displayUrl(url));
    for (const s of secrets) expect(printed).not.toContain(s);
    expect(config.notifications.endpoints[0]?.url).toBe(url); // the original is untouched
  });

  it("the logger's scrub list (secretValues)", () => {
    expect(secretValues(config)).toEqual(expect.arrayContaining(secrets));
    // `v=2` is hidden when the URL is shown, but a 1-character value on the scrub list would
    // blank every "2" of every log line.
    expect(secretValues(config)).not.toContain('2');
  });
});

describe('which query values the logger scrubs', () => {
  it('long values and values under a secret-like name, not short plain ones', () => {
    const found = urlSecrets('http://h/x?v=2&sig=ab&api_key=k&page=10&state=abcdefgh');
    expect(found).toEqual(expect.arrayContaining(['ab', 'k', 'abcdefgh']));
    expect(found).not.toContain('2');
    expect(found).not.toContain('10');
  });
});
