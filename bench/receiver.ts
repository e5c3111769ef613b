/**
 * The benchmarks' endpoint, in its own process so it does not share the CPU with what is
 * measured: accepts every POST, reads and JSON.parses the body (what any real receiver does at
 * the least), counts the events and the manifest pulls per repository, answers 200 — after
 * `--delay-ms=N` when given (a receiver that takes its time). `GET /count` answers the counts as
 * JSON. Prints `PORT <n>` when listening.
 */
import http from 'node:http';

const delayMs = Number(process.argv.find((a) => a.startsWith('--delay-ms='))?.slice(11) ?? 0);

interface Envelope {
  events?: { action?: string; target?: { repository?: string } }[];
}

let requests = 0;
let events = 0;
const pulls: Record<string, number> = {};

function count(body: string): void {
  const parsed = JSON.parse(body) as Envelope;
  for (const e of parsed.events ?? []) {
    events += 1;
    if (e.action === 'pull') {
      const repo = e.target?.repository ?? '';
      pulls[repo] = (pulls[repo] ?? 0) + 1;
    }
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET') {
    const text = JSON.stringify({ requests, events, pulls });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
    res.end(text);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests += 1;
    count(Buffer.concat(chunks).toString('utf8'));
    const answer = () => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`PORT ${address.port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
