/**
 * Standard Webhooks signatures (docs/signing.md): each request carries `webhook-id`,
 * `webhook-timestamp` and `webhook-signature`, the last one `v1,<base64 HMAC-SHA256>` over
 * `<id>.<timestamp>.<body>` per configured secret, space-separated, so that a receiver keeps
 * verifying while a secret is rotated (it holds the old or the new one; both are sent).
 *
 * The id is stable across retries (a receiver dedupes on it); the timestamp and the signature
 * are computed per attempt, from the exact bytes sent, so a retry passes a receiver's
 * replay-window check too.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SecretPrefix = 'whsec_';
/** The specification's bounds on the key's length (192 to 512 bits). */
export const SecretMinBytes = 24;
export const SecretMaxBytes = 64;

/** Why `text` is not a usable `whsec_<base64>` secret, or undefined when it is. */
export function secretProblem(text: string): string | undefined {
  if (!text.startsWith(SecretPrefix)) return `must start with ${SecretPrefix}`;
  const b64 = text.slice(SecretPrefix.length);
  // Canonical base64 only: Buffer.from ignores stray characters, a verifier would not.
  const key = Buffer.from(b64, 'base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || key.toString('base64') !== b64) {
    return `must be ${SecretPrefix} followed by standard base64 (A-Z a-z 0-9 + /, = padding)`;
  }
  if (key.length < SecretMinBytes || key.length > SecretMaxBytes) {
    return `the key must be ${SecretMinBytes} to ${SecretMaxBytes} bytes, got ${key.length}`;
  }
  return undefined;
}

/** The key bytes of a `whsec_` secret (checked with secretProblem beforehand). */
export function secretKey(text: string): Buffer {
  return Buffer.from(text.slice(SecretPrefix.length), 'base64');
}

/**
 * The message id of a delivery: `msg_` + base64url(SHA-256) of its events' identities. Event
 * ids may be any string (a header must not carry them verbatim), and a batch's id must change
 * with its content; JSON keeps the list unambiguous (["a,b"] ≠ ["a","b"]).
 */
export function messageId(identities: readonly string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(identities)).digest('base64url');
  return `msg_${digest}`;
}

/** The `webhook-signature` value: one `v1,<base64>` per key, space-separated. */
export function signature(
  keys: readonly Buffer[],
  id: string,
  timestamp: number,
  body: Buffer,
): string {
  return keys
    .map((key) => {
      const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body);
      return `v1,${mac.digest('base64')}`;
    })
    .join(' ');
}

/** Headers (name, value, name, value…) that sign one attempt's body. */
export type AttemptSigner = (body: Buffer) => string[];

/** Signs the attempts of one message: same id each time, the clock read per attempt. */
export type MessageSigner = (identities: readonly string[]) => AttemptSigner;

export function messageSigner(
  secrets: readonly string[],
  nowMs: () => number = Date.now,
): MessageSigner {
  const keys = secrets.map(secretKey);
  return (identities) => {
    const id = messageId(identities);
    return (body) => {
      const timestamp = Math.floor(nowMs() / 1000);
      return [
        'webhook-id',
        id,
        'webhook-timestamp',
        String(timestamp),
        'webhook-signature',
        signature(keys, id, timestamp, body),
      ];
    };
  };
}

/** How far a timestamp may be from the receiver's clock (the specification's suggestion). */
export const ToleranceSeconds = 5 * 60;

/**
 * A receiver's check (the demo receiver's `--secret`): undefined when one `v1` signature of
 * the headers matches one of `keys` over `body` and the timestamp is within the tolerance,
 * else why not.
 */
export function verifyProblem(
  keys: readonly Buffer[],
  header: (name: string) => string | undefined,
  body: Buffer,
  nowMs: number = Date.now(),
): string | undefined {
  const [id, ts, sigs] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map(header);
  if (!id || !ts || !sigs) return 'no webhook-id/-timestamp/-signature headers';
  const timestamp = Number(ts);
  if (!/^\d+$/.test(ts) || Math.abs(nowMs / 1000 - timestamp) > ToleranceSeconds) {
    return `timestamp ${ts} is not within ${ToleranceSeconds} s of now`;
  }
  const sent = sigs.split(' ').map((s) => Buffer.from(s));
  const match = keys.some((key) => {
    const want = Buffer.from(signature([key], id, timestamp, body));
    return sent.some((got) => got.length === want.length && timingSafeEqual(got, want));
  });
  return match ? undefined : 'no signature matches the secret(s)';
}
