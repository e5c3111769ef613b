import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED, createLogger, makeScrubber, redactUrl } from '../../src/log.js';
import type { Logger } from '../../src/log.js';

/** A logger writing into an array of raw lines (each must be one valid JSON object). */
function capture(options: { secrets?: string[]; level?: string } = {}): {
  logger: Logger;
  lines: string[];
  records: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ ...options, destination });
  return {
    logger,
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines with the service base field and honours the level', () => {
    const { logger, records } = capture({ level: 'warn' });
    logger.info('hidden');
    logger.warn({ endpoint: 'a' }, 'shown');
    const recs = records();
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ service: 'regnotify', endpoint: 'a', msg: 'shown', level: 40 });
  });

  it.each([
    ['headers.authorization', { headers: { authorization: 'Bearer x1' } }],
    ['headers.Authorization', { headers: { Authorization: 'Bearer x2' } }],
    ['*.headers.authorization', { request: { headers: { authorization: 'Bearer x3' } } }],
    ['*.headers.Authorization', { endpoint: { headers: { Authorization: 'Bearer x4' } } }],
    ['req.headers.authorization', { req: { headers: { authorization: 'Basic x5' } } }],
    ['password', { password: 'x6' }],
    ['*.password', { auth: { password: 'x7' } }],
    ['token', { token: 'x8' }],
    ['*.token', { ingest: { token: 'x9' } }],
    ['secret', { secret: 'x10' }],
    ['*.secret', { signing: { secret: 'x11' } }],
    ['redis.url', { redis: { url: 'redis://:x12@h:6379' } }],
    ['*.redis.url', { config: { redis: { url: 'redis://:x13@h:6379' } } }],
    ['*.redis.password', { config: { redis: { password: 'x14' } } }],
  ])('redacts the path %s', (_path, obj) => {
    const { logger, lines } = capture();
    logger.info(obj, 'm');
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? '';
    expect(line).toContain(REDACTED);
    expect(line).not.toMatch(/x\d+/);
  });

  it('keeps the unredacted siblings of redacted fields', () => {
    const { logger, records } = capture();
    logger.info({ headers: { authorization: 'Bearer z', 'content-type': 'text/plain' } }, 'm');
    expect(records()[0]?.['headers']).toEqual({
      authorization: REDACTED,
      'content-type': 'text/plain',
    });
  });

  it('scrubs configured secrets from messages, errors, stacks and URLs', () => {
    const { logger, lines, records } = capture({ secrets: ['s3cr3t-pw', 'hdr-value-42'] });
    logger.info('connecting with s3cr3t-pw now');
    logger.error({ err: new Error('WRONGPASS s3cr3t-pw rejected') }, 'redis failed');
    logger.warn({ target: 'redis://default:s3cr3t-pw@db:6379/0' }, 'url');
    logger.info({ sent: { 'x-api-key': 'hdr-value-42' } }, 'custom header');
    const joined = lines.join('');
    expect(joined).not.toContain('s3cr3t-pw');
    expect(joined).not.toContain('hdr-value-42');
    const recs = records(); // still valid JSON
    expect(recs[0]?.['msg']).toBe(`connecting with ${REDACTED} now`);
    const err = recs[1]?.['err'] as { message: string; stack: string };
    expect(err.message).toBe(`WRONGPASS ${REDACTED} rejected`);
    expect(err.stack).toContain(REDACTED);
    expect(recs[2]?.['target']).toBe(`redis://default:${REDACTED}@db:6379/0`);
    expect(recs[3]?.['sent']).toEqual({ 'x-api-key': REDACTED });
  });

  it('scrubs the percent-encoded form of a secret inside a URL', () => {
    const { logger, lines } = capture({ secrets: ['p@ss/w'] });
    logger.info({ url: `redis://:${encodeURIComponent('p@ss/w')}@h:1` }, 'x');
    expect(lines[0]).not.toContain('p%40ss%2Fw');
    expect(lines[0]).toContain(REDACTED);
  });

  it('scrubs secrets in child loggers, including their bindings', () => {
    const { logger, lines, records } = capture({ secrets: ['tok-999'] });
    const child = logger.child({ endpoint: 'ep-tok-999', eventId: 'e1' });
    const grandchild = child.child({ attempt: 2 });
    child.info('posting with tok-999');
    grandchild.error({ err: new Error('401 for tok-999') }, 'failed');
    expect(lines.join('')).not.toContain('tok-999');
    const recs = records();
    expect(recs[0]).toMatchObject({ endpoint: `ep-${REDACTED}`, eventId: 'e1' });
    expect(recs[0]?.['msg']).toBe(`posting with ${REDACTED}`);
    expect(recs[1]).toMatchObject({ attempt: 2, eventId: 'e1' });
  });

  it('scrubs secrets containing characters that JSON escapes', () => {
    const secret = 'a"b\\c\nd';
    const { logger, lines, records } = capture({ secrets: [secret] });
    logger.info({ detail: `before ${secret} after` }, `msg ${secret}`);
    const line = lines[0] ?? '';
    expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
    const rec = records()[0];
    expect(rec?.['detail']).toBe(`before ${REDACTED} after`);
    expect(rec?.['msg']).toBe(`msg ${REDACTED}`);
  });

  it('scrubs even one-character secrets and keeps the line valid JSON', () => {
    const { logger, lines, records } = capture({ secrets: ['n', ''] });
    logger.info({ text: 'line1\nline2 end' }, 'no');
    expect(() => records()).not.toThrow();
    const rec = records()[0];
    expect(rec?.['msg']).toBe(`${REDACTED}o`);
    // The escaped newline survives; the letter n does not, in any string.
    expect(rec?.['text']).toBe(`li${REDACTED}e1\nli${REDACTED}e2 e${REDACTED}d`);
    expect(lines).toHaveLength(1);
  });

  it('leaves lines without secrets byte-for-byte alone', () => {
    const scrub = makeScrubber(['zz-secret']);
    const line = '{"level":30,"msg":"nothing \\"here\\""}\n';
    expect(scrub(line)).toBe(line);
    expect(makeScrubber([])(line)).toBe(line);
  });

  it('removes a longer secret whole when it contains a shorter one', () => {
    const scrub = makeScrubber(['abc', 'xabcx']);
    const out = JSON.parse(scrub('{"m":"1 xabcx 2 abc 3"}')) as { m: string };
    expect(out.m).toBe(`1 ${REDACTED} 2 ${REDACTED} 3`);
  });
});

describe('raw bytes are never serialised', () => {
  // A Buffer reaches JSON as {"type":"Buffer","data":[66,101,…]}: numbers no scrubber can see.
  const token = 'tok-9d2f41';
  const packet = () => Buffer.from(`POST / HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n`);
  const numbers = [...Buffer.from(token)].join(',');

  it("drops an error's rawPacket (Node's clientError) and any other Buffer on it", () => {
    const { logger, lines, records } = capture({ level: 'debug', secrets: [token] });
    const err = Object.assign(new Error('Parse Error: Invalid header token'), {
      code: 'HPE_INVALID_HEADER_TOKEN',
      rawPacket: packet(),
      extra: new Uint8Array(packet()),
    });
    logger.debug({ err }, 'http client error');
    expect(lines.join('')).not.toContain(numbers);
    expect(lines.join('')).not.toContain(token);
    const logged = records()[0]?.['err'] as Record<string, unknown>;
    expect(logged).toMatchObject({ code: 'HPE_INVALID_HEADER_TOKEN', message: expect.any(String) });
    expect(logged['rawPacket']).toBeUndefined();
    expect(logged['extra']).toBe(`[binary, ${packet().length} bytes]`);
  });

  it('replaces a Buffer logged under any top-level key by its size', () => {
    const { logger, lines, records } = capture({ level: 'debug' });
    logger.debug({ body: packet(), nested: { ok: 1 } }, 'raw');
    expect(lines.join('')).not.toContain(numbers);
    expect(records()[0]).toMatchObject({
      body: `[binary, ${packet().length} bytes]`,
      nested: { ok: 1 },
    });
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://user:pass@host:6379/0', 'redis://user:***@host:6379/0'],
    ['redis://:pass@host:6379', 'redis://:***@host:6379'],
    ['rediss://default:p%40ss@h.example:6380', 'rediss://default:***@h.example:6380'],
    ['redis://u:pa@ss@host', 'redis://u:***@host'],
    ['https://u:p@example.com/a@b', 'https://u:***@example.com/a@b'],
    ['redis://host:6379', 'redis://host:6379'],
    ['redis://user@host:6379', 'redis://user@host:6379'],
    ['redis://user:@host', 'redis://user:@host'],
    ['not a url', 'not a url'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});
