/**
 * The registry's `notifications:` section read as gopkg.in/yaml.v2 (v2.4: decode.go `scalar`,
 * resolve.go) decodes it into the Go configuration struct: a `string` field (names, URLs,
 * header values, media types…) takes the source text of any non-null scalar, while bool, int
 * and time.Duration fields take the value the YAML 1.1 rules give that text.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { loadConfig } from '../../../src/config/load.js';
import type { EndpointSettings, LoadOptions } from '../../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'regnotify-yaml-v2-'));
let n = 0;

function file(text: string): string {
  const path = join(dir, `c${n++}.yml`);
  writeFileSync(path, text);
  return path;
}

/** The one endpoint of a config whose endpoint entry is `lines` (block style, 6 spaces in). */
function endpoint(lines: string, env: Record<string, string> = {}): EndpointSettings {
  const text = `notifications:\n  endpoints:\n    - name: a\n      url: http://a.example/x\n${lines
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n')}\n`;
  const { config } = loadConfig({ file: file(text), env });
  const [first] = config.notifications.endpoints;
  if (!first) throw new Error('no endpoint');
  return first;
}

function errorOf(options: LoadOptions): string {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('loadConfig did not throw');
}

const endpointError = (lines: string): string =>
  errorOf({
    file: file(
      `notifications:\n  endpoints:\n    - name: a\n      url: http://a.example/x\n      ${lines}\n`,
    ),
    env: {},
  });

/** Plain scalars that YAML 1.1 would make a number, a bool, a float or a date. */
const VERBATIM = [
  '12345678901234567890', // > int64: yaml.v2 resolves uint64, the string field keeps the text
  '18446744073709551616', // > uint64: a float
  '9007199254740993', // > 2^53: a JS number would round it
  'on',
  'Off',
  'y',
  'N',
  'yes',
  'TRUE',
  '0x1F',
  '0X1f',
  '1.10',
  '1e3',
  '1E+3',
  '.5',
  '.inf',
  '-.Inf',
  '+.INF',
  '.NaN',
  '0o17',
  '017',
  '08',
  '0b101',
  '-0x10',
  '+5',
  '1_000',
  '2024-01-01',
  '2001-12-14t21:59:43.10-05:00',
  '12:30:00',
  '1.',
  '-0',
  '<<',
  '=',
  'e2',
];

describe('string fields keep the text of unquoted scalars (yaml.v2 into `string`)', () => {
  it.each(VERBATIM)('header value [%s] is sent as written', (text) => {
    expect(endpoint(`headers:\n  X-V: [${text}]`).headers).toEqual({ 'X-V': [text] });
  });

  it('the same in block style, and several values in one header', () => {
    const e = endpoint('headers:\n  X-Multi:\n    - on\n    - 0x1F\n    - 1.10\n  X-B: [1, 2]');
    expect(e.headers).toEqual({ 'X-Multi': ['on', '0x1F', '1.10'], 'X-B': ['1', '2'] });
  });

  it('null items are the zero value "" (as yaml.v2 puts them into []string)', () => {
    const e = endpoint('headers:\n  X-N: [~, null, Null, NULL, "", ok]\n  X-Empty:\n  X-None: []');
    expect(e.headers).toEqual({ 'X-N': ['', '', '', '', '', 'ok'], 'X-Empty': [], 'X-None': [] });
  });

  it('quoted and block scalars are strings whatever their text', () => {
    const e = endpoint(`headers:\n  X-Q: ["on", '0x1F', "~"]\n  X-Block:\n    - |-\n      1.10`);
    expect(e.headers).toEqual({ 'X-Q': ['on', '0x1F', '~'], 'X-Block': ['1.10'] });
  });

  it('header names are kept as written too', () => {
    const e = endpoint('headers:\n  on: [a]\n  1.10: [b]\n  0x1F: [c]');
    expect(Object.keys(e.headers)).toEqual(['on', '1.10', '0x1F']);
  });

  it.each(['y', 'on', 'true', '123', '1.10', '0x1F', '2024-01-01', '1e3'])(
    'an endpoint named %s keeps that name',
    (name) => {
      const { config } = loadConfig({
        file: file(`notifications:\n  endpoints:\n    - name: ${name}\n      url: http://a/x\n`),
        env: {},
      });
      expect(config.notifications.endpoints[0]?.name).toBe(name);
    },
  );

  it('media types and actions lists keep their text', () => {
    const e = endpoint('ignoredmediatypes: [1.10, on]\nignore:\n  mediatypes: [0x1F]');
    expect(e.ignoredMediaTypes).toEqual(['1.10', 'on']);
    expect(e.ignore.mediaTypes).toEqual(['0x1F']);
  });

  it('aliases and merge keys carry the text too', () => {
    const { config } = loadConfig({
      file: file(`common: &common
  headers:
    X-A: &v [0x1F]
notifications:
  endpoints:
    - <<: *common
      name: y
      url: http://a/x
    - name: b
      url: http://b/x
      headers: {X-B: *v}
`),
      env: {},
    });
    const [y, b] = config.notifications.endpoints;
    expect(y).toMatchObject({ name: 'y', headers: { 'X-A': ['0x1F'] } });
    expect(b?.headers).toEqual({ 'X-B': ['0x1F'] });
  });

  it('an explicit !!str, or a tag the registry does not know, gives the text', () => {
    const e = endpoint('headers:\n  X-S: [!!str 0x1F, !custom on, !!int 0x1F]');
    expect(e.headers).toEqual({ 'X-S': ['0x1F', 'on', '0x1F'] });
  });
});

describe('typed fields are typed as yaml.v2 types them', () => {
  it.each([
    ['0x10', 16],
    ['010', 8], // strconv.ParseInt base 0: a leading 0 is octal
    ['0o10', 8],
    ['0b11', 3],
    ['08', 8], // not octal: YAML's float syntax, 8.0, then int
    ['1e3', 1000],
    ['+5', 5],
    ['1_000', 1000],
    ['7.0', 7],
    ['~', 10], // null: the zero value, then NewEndpoint's default
    ['-3', 10],
  ])('threshold: %s is %d', (text, value) => {
    expect(endpoint(`threshold: ${text}`).threshold).toBe(value);
  });

  it.each([
    ['y', true],
    ['Yes', true],
    ['ON', true],
    ['True', true],
    ['n', false],
    ['NO', false],
    ['off', false],
    ['false', false],
    ['~', false],
    ['', false],
  ])('disabled: %s is %s', (text, value) => {
    expect(endpoint(`disabled: ${text}`).disabled).toBe(value);
  });

  it.each([
    ['1s', 1000],
    ['"1s"', 1000],
    ['.5s', 500], // '.'-led but not a float: a string, so ParseDuration
    ['1h2m', 3_720_000],
    ['1000', 1], // integer nanoseconds, rounded up to 1 ms
    ['1e9', 1000], // a float with a whole value: nanoseconds
    ['0x3B9ACA00', 1000],
    ['1_000_000_000', 1000],
    ['~', 1000],
    ['0', 1000],
  ])('timeout: %s is %d ms', (text, ms) => {
    expect(endpoint(`timeout: ${text}`).timeoutMs).toBe(ms);
  });

  it('events.includereferences: on is true', () => {
    const { config } = loadConfig({
      file: file('notifications:\n  events:\n    includereferences: on\n'),
      env: {},
    });
    expect(config.notifications.includeReferences).toBe(true);
  });
});

describe('what yaml.v2 refuses is a ConfigError naming the key', () => {
  it.each([
    ['threshold: "5"', 'notifications.endpoints[0].threshold: not an integer: "5" (quoted'],
    ['threshold: yes', 'notifications.endpoints[0].threshold: not an integer: yes'],
    ['threshold: 1.5', 'notifications.endpoints[0].threshold: not an integer: 1.5'],
    ['threshold: .inf', 'notifications.endpoints[0].threshold: not an integer: .inf'],
    [
      'threshold: 9223372036854775808',
      'notifications.endpoints[0].threshold: not an integer: 9223372036854775808',
    ],
    ['threshold: 2024-01-01', 'notifications.endpoints[0].threshold: not an integer'],
    ['threshold: [1]', 'notifications.endpoints[0].threshold: not an integer: a list'],
    ['disabled: "true"', 'notifications.endpoints[0].disabled: not a boolean: "true" (quoted'],
    ['disabled: 1', 'notifications.endpoints[0].disabled: not a boolean: 1'],
    ['timeout: yes', 'notifications.endpoints[0].timeout: invalid duration yes'],
    ['timeout: "1000"', 'notifications.endpoints[0].timeout: invalid duration "1000"'],
    ['timeout: 2024-01-01', 'notifications.endpoints[0].timeout: invalid duration'],
    ['timeout: .inf', 'notifications.endpoints[0].timeout: invalid duration .inf'],
    ['timeout: {a: 1}', 'notifications.endpoints[0].timeout: invalid duration: a map'],
    [
      'headers: {X: [[a]]}',
      'notifications.endpoints[0].headers.X[0]: must be a string, got a list',
    ],
    ['headers: {X: on}', 'notifications.endpoints[0].headers.X: header values must be a list'],
    ['headers: [a]', 'notifications.endpoints[0].headers: must be a map, got a list'],
    ['ignoredmediatypes: on', 'notifications.endpoints[0].ignoredmediatypes: must be a list'],
    ['mediatype: [a]', 'notifications.endpoints[0].mediatype: must be a string, got a list'],
    ['headers: {X: [!!int abc]}', 'notifications.endpoints[0].headers.X[0]: cannot decode'],
    ['threshold: !!bool 5', 'notifications.endpoints[0].threshold: cannot decode'],
  ])('%s', (lines, message) => {
    expect(endpointError(lines)).toContain(message);
  });

  it('a list as the name names the name', () => {
    expect(
      errorOf({
        file: file('notifications:\n  endpoints:\n    - name: [a]\n      url: http://a/x\n'),
        env: {},
      }),
    ).toContain('notifications.endpoints[0].name: must be a string, got a list');
  });

  it('a scalar header value is refused without echoing it (it is often a credential)', () => {
    const message = endpointError('headers: {Authorization: Bearer s3cret-t0ken}');
    expect(message).toContain(
      'notifications.endpoints[0].headers.Authorization: header values must be a list',
    );
    expect(message).not.toContain('s3cret');
  });

  it('a structure yaml.v2 refuses names the file and the place, and keeps the coded cause', () => {
    const path = file('notifications:\n  endpoints:\n    - ? [a]\n      : b\n');
    let caught: unknown;
    try {
      loadConfig({ file: path, env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toBe(
      `${path}: invalid YAML: notifications.endpoints[0]: a map key must be a scalar`,
    );
    expect((caught as Error).cause).toMatchObject({ code: 'ERR_YAML_STRUCTURE' });
  });

  it('a null name is the zero value "", so the name is missing', () => {
    expect(
      errorOf({
        file: file('notifications:\n  endpoints:\n    - name: ~\n      url: http://a/x\n'),
        env: {},
      }),
    ).toContain('notifications.endpoints[0].name: required');
  });
});

describe('REGISTRY_NOTIFICATIONS_* values are read the same way', () => {
  const base = file('notifications:\n  endpoints:\n    - name: a\n      url: http://a/x\n');
  const load = (env: Record<string, string>): EndpointSettings => {
    const first = loadConfig({ file: base, env }).config.notifications.endpoints[0];
    if (!first) throw new Error('no endpoint');
    return first;
  };

  it('string fields keep the text', () => {
    const e = load({
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: 'y',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS:
        '{X-Big: [12345678901234567890], X-On: [on], X-Hex: [0x1F], X-F: [1.10]}',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_IGNORE_MEDIATYPES: '[1e3]',
    });
    expect(e.name).toBe('y');
    expect(e.headers).toEqual({
      'X-Big': ['12345678901234567890'],
      'X-On': ['on'],
      'X-Hex': ['0x1F'],
      'X-F': ['1.10'],
    });
    expect(e.ignore.mediaTypes).toEqual(['1e3']);
  });

  it('typed fields are typed', () => {
    const e = load({
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '0x10',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_TIMEOUT: '1e9',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_BACKOFF: '1.5s',
      REGISTRY_NOTIFICATIONS_ENDPOINTS_0_DISABLED: 'on',
    });
    expect(e).toMatchObject({ threshold: 16, timeoutMs: 1000, backoffMs: 1500, disabled: true });
  });

  it('an empty value is the zero value', () => {
    expect(load({ REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '' }).threshold).toBe(10);
  });

  it.each([
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: '"5"' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_THRESHOLD: not an integer: "5"',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_DISABLED: '"on"' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_DISABLED: not a boolean',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: '~' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME: required',
    ],
    [
      { REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: '{X: [[1]]}' },
      'REGISTRY_NOTIFICATIONS_ENDPOINTS_0_HEADERS: must be a string, got a list (at notifications.endpoints[0].headers.X[0])',
    ],
  ])('%j', (env, message) => {
    expect(errorOf({ file: base, env })).toContain(message);
  });
});
