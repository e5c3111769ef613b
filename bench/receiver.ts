/**
 * The benchmark's endpoint, in its own process so it does not share the CPU with what is
 * measured: accepts every POST, reads the body, answers 200. Prints `PORT <n>` when listening.
 */
import http from 'node:http';

let received = 0;
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    received += 1;
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`PORT ${address.port}\n`);
});
process.on('SIGTERM', () => {
  process.stderr.write(`receiver: ${received} requests\n`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
