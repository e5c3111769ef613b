/**
 * A port of TestHTTPSink's server (docs/compatibility.md §8.1) plus the routes the redirect, timeout and
 * body tests need. Listens on 127.0.0.1, ephemeral port, plain or TLS.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EventsMediaType } from '../../../src/events/types.js';

export interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
  remotePort: number;
}

export interface GoTestServer {
  readonly url: string;
  readonly seen: Seen[];
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export async function startGoTestServer(tls?: {
  key: string;
  cert: string;
}): Promise<GoTestServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        rawHeaders: req.rawHeaders,
        body,
        remotePort: req.socket.remotePort ?? 0,
      });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      route(req, res, body, hits);
    });
  };
  const server: Server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS clients that reject our certificate make the server log errors; they are expected.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    get maxInFlight() {
      return maxInFlight;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function route(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  hits: Map<string, number>,
): void {
  const u = new URL(req.url ?? '/', 'http://x');
  const q = (k: string): string | null => u.searchParams.get(k);
  switch (u.pathname) {
    case '/redirect': // ?code=302&to=/any
      res.writeHead(Number(q('code')), { location: q('to') ?? '/' }).end();
      return;
    case '/chain': {
      // ?n=N: N more 307s before the Go checks
      const n = Number(q('n'));
      if (n > 0) {
        res.writeHead(307, { location: `/chain?n=${n - 1}` }).end();
        return;
      }
      break;
    }
    case '/fail': {
      // ?n=N: the first N requests get a 500
      const hit = (hits.get('/fail') ?? 0) + 1;
      hits.set('/fail', hit);
      if (hit <= Number(q('n'))) return void res.writeHead(500).end();
      break;
    }
    case '/any':
      res.writeHead(200).end('ok');
      return;
    case '/slow':
      return; // never answers; close() destroys the socket
    case '/body': // ?size=bytes
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(Number(q('size'))));
      return;
    case '/delay':
      setTimeout(() => res.writeHead(200).end(), Number(q('ms')));
      return;
  }
  goChecks(req, res, body, q);
}

// TestHTTPSink's handler: POST, the v1 media type, an envelope body, then ?status=.
function goChecks(
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  q: (k: string) => string | null,
): void {
  if (req.method !== 'POST') return void res.writeHead(405).end();
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== EventsMediaType) return void res.writeHead(415).end();
  try {
    const env = JSON.parse(body) as { events?: unknown };
    if (!Array.isArray(env.events)) throw new Error('no events');
  } catch {
    return void res.writeHead(400).end();
  }
  const headers: Record<string, string> = {};
  const retryAfter = q('retryAfter');
  if (retryAfter !== null) headers['retry-after'] = retryAfter;
  res.writeHead(Number(q('status') ?? 200), headers).end();
}
