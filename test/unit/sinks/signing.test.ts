/** Standard Webhooks signing (src/sinks/signing.ts), checked by an independent verifier. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  messageId,
  messageSigner,
  secretKey,
  secretProblem,
  verifyProblem,
} from '../../../src/sinks/signing.js';

const secretOf = (key: Uint8Array): string => `whsec_${Buffer.from(key).toString('base64')}`;

/** Header pairs as a receiver's lower-cased map. */
function headerMap(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) out[pairs[i]!.toLowerCase()] = pairs[i + 1]!;
  return out;
}

describe('secretProblem', () => {
  it('accepts whsec_ + canonical base64 of 24 to 64 bytes', () => {
    expect(secretProblem(secretOf(randomBytes(24)))).toBeUndefined();
    expect(secretProblem(secretOf(randomBytes(32)))).toBeUndefined();
    expect(secretProblem(secretOf(randomBytes(64)))).toBeUndefined();
  });
  it.each([
    ['no prefix', Buffer.alloc(32, 1).toString('base64'), /must start with whsec_/],
    ['not base64', 'whsec_not base64!!', /standard base64/],
    ['base64url', `whsec_${Buffer.alloc(30, 0xfb).toString('base64url')}`, /standard base64/],
    ['short key', secretOf(randomBytes(16)), /24 to 64 bytes, got 16/],
    ['long key', secretOf(randomBytes(65)), /24 to 64 bytes, got 65/],
    ['empty', 'whsec_', /24 to 64 bytes, got 0/],
  ])('refuses %s', (_what, secret, why) => {
    expect(secretProblem(secret)).toMatch(why);
  });
});

describe('messageId', () => {
  it('is msg_ + base64url, stable, and different for other events or another split', () => {
    const id = messageId(['e1']);
    expect(id).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
    expect(messageId(['e1'])).toBe(id);
    expect(messageId(['e2'])).not.toBe(id);
    expect(messageId(['a,b'])).not.toBe(messageId(['a', 'b']));
    expect(messageId(['a', 'b'])).not.toBe(messageId(['b', 'a']));
  });
  it('carries no event id verbatim, whatever it holds (header-safe)', () => {
    expect(messageId(['x\r\nX-Injected: 1'])).toMatch(/^msg_[A-Za-z0-9_-]+$/);
  });
});

describe('messageSigner', () => {
  it('any body, any key(s): standardwebhooks verifies with each secret', () => {
    const key = fc.uint8Array({ minLength: 24, maxLength: 64 });
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.array(key, { minLength: 1, maxLength: 3 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 5 }),
        (text, keys, ids) => {
          const secrets = keys.map(secretOf);
          const body = Buffer.from(text);
          const headers = headerMap(messageSigner(secrets)(ids)(body));
          expect(Object.keys(headers)).toEqual([
            'webhook-id',
            'webhook-timestamp',
            'webhook-signature',
          ]);
          expect(headers['webhook-signature']?.split(' ')).toHaveLength(secrets.length);
          for (const secret of secrets) {
            // As a receiver gets it: the bytes read as UTF-8 text.
            const verify = () =>
              new Webhook(secret).verify(body.toString('utf8'), headers, { jsonParse: false });
            expect(verify).not.toThrow();
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a wrong secret, a changed body or a changed id does not verify', () => {
    const [a, b] = [secretOf(randomBytes(32)), secretOf(randomBytes(32))];
    const body = Buffer.from('{"events":[]}');
    const headers = headerMap(messageSigner([a])(['e1'])(body));
    expect(() => new Webhook(b).verify(body.toString(), headers)).toThrow(/No matching/);
    expect(() => new Webhook(a).verify('{"events":[1]}', headers)).toThrow(/No matching/);
    const otherId = { ...headers, 'webhook-id': messageId(['e2']) };
    expect(() => new Webhook(a).verify(body.toString(), otherId)).toThrow(/No matching/);
  });

  it('keeps the id across attempts and reads the clock per attempt', () => {
    let now = 1_700_000_000_000;
    const sign = messageSigner([secretOf(randomBytes(32))], () => now)(['e1']);
    const first = headerMap(sign(Buffer.from('x')));
    now += 61_000;
    const second = headerMap(sign(Buffer.from('x')));
    expect(second['webhook-id']).toBe(first['webhook-id']);
    expect(Number(second['webhook-timestamp']) - Number(first['webhook-timestamp'])).toBe(61);
    expect(second['webhook-signature']).not.toBe(first['webhook-signature']);
  });
});

describe("verifyProblem (the demo receiver's check)", () => {
  it('accepts what standardwebhooks signs, refuses another key, a stale or a future timestamp', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        (text, key) => {
          const secret = secretOf(key);
          const body = Buffer.from(text);
          const now = Date.now();
          const at = (ms: number) => {
            const ts = Math.floor(ms / 1000);
            const sig = new Webhook(secret).sign(
              'msg_x',
              new Date(ts * 1000),
              body.toString('utf8'),
            );
            const h: Record<string, string> = {
              'webhook-id': 'msg_x',
              'webhook-timestamp': String(ts),
              'webhook-signature': `v1,bm90IGl0 ${sig}`,
            };
            return (name: string) => h[name];
          };
          expect(verifyProblem([secretKey(secret)], at(now), body, now)).toBeUndefined();
          const other = secretKey(secretOf(randomBytes(32)));
          expect(verifyProblem([other], at(now), body, now)).toMatch(/no signature matches/);
          expect(verifyProblem([secretKey(secret)], at(now - 301_000), body, now)).toMatch(
            /not within 300 s/,
          );
          expect(verifyProblem([secretKey(secret)], at(now + 301_000), body, now)).toMatch(
            /not within 300 s/,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('names missing headers', () => {
    expect(verifyProblem([randomBytes(32)], () => undefined, Buffer.from('x'))).toMatch(
      /no webhook-id/,
    );
  });
});
