/**
 * The one logger factory: pino JSON lines on stdout (shipping is another process's job), with
 * secrets kept out of the logs in two layers.
 *
 * 1. `redact` paths blank the fields where credentials are normally found (Authorization
 *    headers, `password`, `token`, `secret`, Redis URLs) before serialisation.
 * 2. Every configured secret value (endpoint header values, the Redis password, ingest tokens)
 *    is scrubbed from the final serialised line wherever it turns up — inside an error message,
 *    a stack, a URL — by a `hooks.streamWrite` pass. Paths alone cannot catch a password that
 *    ioredis echoes inside an error string.
 *
 * Cost of layer 2: one `includes` per secret (and its URL-encoded form) on every line; a line
 * that contains a secret is then re-tokenised and its JSON strings decoded and re-encoded.
 * Every non-empty secret is scrubbed, however short: a one-character secret would blank that
 * character in every string of every line. That is deliberately chosen over leaking it.
 *
 * 3. Raw bytes are never serialised. A Buffer reaches JSON as an array of numbers, which no
 *    scrubber can recognise: Node's clientError carries the malformed request's raw bytes
 *    (`rawPacket`, Authorization header included). Errors lose `rawPacket`, and any binary value
 *    on an error or at the top level of a log call is replaced by its size.
 */
import os from 'node:os';
import { pino } from 'pino';
import { prettyLine } from './log-pretty.js';
import type { DestinationStream } from 'pino';

/** One log call: fields (an `err` is serialised whole: type, message, stack, code) and a message. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * The one logger type of regnotify: the slice of pino's Logger the code uses. The service passes
 * a pino logger from createLogger (child loggers included); the in-process library's pieces
 * (sinks, bridge listener) default to `silentLogger`, or whatever their caller passes; tests
 * pass recorders.
 */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  /** A logger that adds `bindings` to every line (`logger.child({ endpoint })`). */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that discards everything: the default wherever a logger is optional. */
export const silentLogger: Logger = {
  fatal: () => undefined,
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};

export const REDACTED = '[REDACTED]';

/** Field paths blanked before serialisation (fast-redact syntax; `*` = one level). */
export const REDACT_PATHS: readonly string[] = [
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'redis.url',
  'redis.password',
  '*.redis.url',
  '*.redis.password',
  'auth.password',
  'auth.token',
  '*.auth.password',
  '*.auth.token',
];

export interface LoggerOptions {
  /** pino level: fatal, error, warn, info, debug, trace, silent. Default 'info'. */
  level?: string;
  /** Values that must never appear in a log line (each non-empty one is scrubbed). */
  secrets?: string[];
  /** Where lines go; default stdout. Tests pass a collecting stream. */
  destination?: DestinationStream;
  /** Optional `name` field on every line (e.g. the process role). */
  name?: string;
  /** `json` (default): one JSON object a line. `pretty`: readable lines (src/log-pretty.ts). */
  format?: 'json' | 'pretty';
  /** With `pretty`: colour the level (a terminal). */
  colour?: boolean;
}

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const scrubSecrets = makeScrubber(options.secrets ?? []);
  const colour = options.colour ?? false;
  // Secrets are scrubbed from the JSON line first, whatever is written in the end.
  const scrub =
    options.format === 'pretty'
      ? (line: string) => prettyLine(scrubSecrets(line), { colour })
      : scrubSecrets;
  const opts: pino.LoggerOptions = {
    level: options.level ?? 'info',
    // pid and hostname tell the replicas of a scaled-out worker apart.
    base: { service: 'regnotify', pid: process.pid, hostname: os.hostname() },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    serializers: { err: serializeError },
    formatters: { log: withoutBinary },
    hooks: { streamWrite: scrub },
  };
  if (options.name !== undefined) opts.name = options.name;
  return options.destination === undefined ? pino(opts) : pino(opts, options.destination);
}

/** What a binary value is logged as: its size, never its bytes. */
function binaryMark(value: ArrayBufferView | ArrayBuffer): string {
  return `[binary, ${value.byteLength} bytes]`;
}

function isBinary(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** pino's error serializer, then without raw packets and binary values (nested causes too). */
function serializeError(err: unknown): unknown {
  const out: unknown = pino.stdSerializers.err(err as Error);
  return stripBinary(out, 0);
}

/** A copy of `value` with binary values replaced and `rawPacket`s left out (objects are copied, never changed). */
function stripBinary(value: unknown, depth: number): unknown {
  if (isBinary(value)) return binaryMark(value);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => stripBinary(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'rawPacket') out[key] = stripBinary(v, depth + 1);
  }
  return out;
}

/** Top-level binary values of a log call (`logger.debug({ body: buf })`) become their size. */
function withoutBinary(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(object)) {
    if (!isBinary(value)) continue;
    out ??= { ...object }; // the caller's object is left as it was
    out[key] = binaryMark(value);
  }
  return out ?? object;
}

/**
 * A function that removes every secret from one serialised JSON log line.
 * Exported for tests and for anything else that writes secrets-adjacent text.
 */
export function makeScrubber(secrets: readonly string[]): (line: string) => string {
  // Longest first, so a secret that contains another is removed whole.
  const raw = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (raw.length === 0) return (line) => line;
  // A secret also shows up percent-encoded inside URLs (redis://:p%40ss@host).
  const plain = [...new Set(raw.flatMap((s) => [s, encodeURIComponent(s)]))].sort(
    (a, b) => b.length - a.length,
  );
  // In the JSON line a secret appears JSON-escaped (`"` → `\"`, `\` → `\\`): look for that form.
  const escaped = plain.map((s) => JSON.stringify(s).slice(1, -1));
  return (line) => {
    if (!escaped.some((e) => line.includes(e))) return line; // the common, cheap path
    return line.replace(JSON_STRING, (token) => scrubToken(token, plain));
  };
}

/** A JSON string literal, escapes included. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * Replace secrets inside one JSON string token. Working on the decoded value (then encoding it
 * again) keeps the line valid JSON: a naive replace on the escaped text could cut an escape
 * sequence in half (secret `n` inside `\n`) or touch numbers and punctuation.
 */
function scrubToken(token: string, secrets: readonly string[]): string {
  let value: unknown;
  try {
    value = JSON.parse(token);
  } catch {
    return token;
  }
  if (typeof value !== 'string') return token;
  let out = value;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out === value ? token : JSON.stringify(out);
}

/**
 * `redis://user:pass@host:6379/0` → `redis://user:***@host:6379/0`. Anything else in the string
 * is left byte-for-byte as it was (no URL normalisation), so the result still reads like the
 * configured value.
 */
export function redactUrl(url: string): string {
  // scheme://user:password@ — userinfo ends at the last '@' before the path.
  return url.replace(
    /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#]*)@/,
    (whole, head: string, pass: string) => (pass.length === 0 ? whole : `${head}***@`),
  );
}
