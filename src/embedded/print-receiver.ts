/**
 * The bundled demo endpoint: accepts notification envelopes (POST, any path) and prints one
 * readable line per event, so `regnotify start` shows something happening without any other
 * service. Deliberately tolerant — it is a window onto what regnotify sends, not a validator:
 * any JSON object with an `events` array is accepted and unknown fields are ignored, and so are
 * CloudEvents (`format: cloudevents`: one object, or an array, each event in `data`). With
 * `secrets`, each line ends with whether the request's Standard Webhooks signature verified
 * (docs/signing.md); the answer is 200 either way, as the demo only shows what arrives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import { secretKey, verifyProblem } from '../sinks/signing.js';

export interface PrintReceiverOptions {
  /** 0 = pick a free port. */
  port: number;
  /** Default 127.0.0.1: the demo is not meant to be reachable from elsewhere. */
  host?: string;
  /** Where each line goes. Default: nowhere (the caller usually passes stdout). */
  out?: (line: string) => void;
  logger?: Logger;
  /** Largest accepted body in bytes (413 above). Default 10 MiB. */
  maxBodyBytes?: number;
  /** `whsec_` secrets (checked by the caller): verify each request's signature and say so. */
  secrets?: readonly string[];
}

export interface PrintReceiver {
  /** The URL to configure as the endpoint: http://host:port/events. */
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

export async function startPrintReceiver(options: PrintReceiverOptions): Promise<PrintReceiver> {
  const host = options.host ?? '127.0.0.1';
  const out = options.out ?? (() => undefined);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const keys = options.secrets?.map(secretKey);
  const server = http.createServer((req, res) => {
    handle(req, res, { out, maxBody, logger: options.logger, keys }).catch((err: unknown) => {
      options.logger?.error({ err: toError(err) }, 'print receiver: request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}/events`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (undici pools them) would hold close() open indefinitely.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: {
    out: (line: string) => void;
    maxBody: number;
    logger: Logger | undefined;
    keys: Buffer[] | undefined;
  },
): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const body = await readBody(req, ctx.maxBody);
  if (body === undefined) {
    res.writeHead(413).end();
    return;
  }
  const events = parseEvents(body.toString('utf8'));
  if (events === undefined) {
    ctx.logger?.warn({ bytes: body.length }, 'print receiver: body is not an event envelope');
    res.writeHead(400, { 'content-type': 'text/plain' }).end('not an event envelope\n');
    return;
  }
  let suffix = '';
  if (ctx.keys) {
    const header = (name: string) => [req.headers[name]].flat()[0];
    const problem = verifyProblem(ctx.keys, header, body);
    suffix = problem === undefined ? ' verified' : ` NOT verified (${problem})`;
  }
  for (const event of events) ctx.out(formatEventLine(event) + suffix);
  res.writeHead(200).end();
}

/** The body, or undefined once it grows past `limit` (the rest is drained, not buffered). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

function parseEvents(body: string): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  if (Array.isArray(parsed)) return parsed.every(isCloudEvent) ? parsed.map(dataOf) : undefined;
  if (isCloudEvent(parsed)) return [dataOf(parsed)];
  const events = (parsed as { events?: unknown }).events;
  return Array.isArray(events) ? events : undefined;
}

function isCloudEvent(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'specversion' in v && 'data' in v;
}

function dataOf(v: unknown): unknown {
  return asRecord(v)['data'];
}

/**
 * `<timestamp> <action> <repository>[:<tag>|@<digest>] <mediaType> id=<id>`; a missing field
 * prints as `-` so the columns stay in place.
 */
export function formatEventLine(event: unknown): string {
  const e = asRecord(event);
  const target = asRecord(e['target']);
  const repository = str(target['repository']);
  const tag = str(target['tag']);
  const digest = str(target['digest']);
  let ref = repository ?? '-';
  if (tag !== undefined) ref += `:${tag}`;
  else if (digest !== undefined) ref += `@${digest}`;
  return [
    str(e['timestamp']) ?? '-',
    str(e['action']) ?? '-',
    ref,
    str(target['mediaType']) ?? '-',
    `id=${str(e['id']) ?? '-'}`,
  ].join(' ');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
