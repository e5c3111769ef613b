/**
 * The bundled demo endpoint: accepts notification envelopes (POST, any path) and prints one
 * readable line per event, so `regnotify start` shows something happening without any other
 * service. Deliberately tolerant — it is a window onto what regnotify sends, not a validator:
 * any JSON object with an `events` array is accepted and unknown fields are ignored.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';

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
  const server = http.createServer((req, res) => {
    handle(req, res, { out, maxBody, logger: options.logger }).catch((err: unknown) => {
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
  ctx: { out: (line: string) => void; maxBody: number; logger: Logger | undefined },
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
  const events = parseEvents(body);
  if (events === undefined) {
    ctx.logger?.warn({ bytes: body.length }, 'print receiver: body is not an event envelope');
    res.writeHead(400, { 'content-type': 'text/plain' }).end('not an event envelope\n');
    return;
  }
  for (const event of events) ctx.out(formatEventLine(event));
  res.writeHead(200).end();
}

/** The body, or undefined once it grows past `limit` (the rest is drained, not buffered). */
async function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}

function parseEvents(body: string): unknown[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const events = (parsed as { events?: unknown }).events;
  return Array.isArray(events) ? events : undefined;
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
