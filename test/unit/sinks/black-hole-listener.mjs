// A TCP listener for the whole-attempt timeout tests: backlog 1, and the test SIGSTOPs this
// process so it never accepts. Once two connections fill the accept queue, the kernel drops
// further SYNs and a client's connect hangs, as across a network partition.
// Prints {"port":P} when listening.
import net from 'node:net';

const server = net.createServer(() => {});
server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
  console.log(JSON.stringify({ port: server.address().port }));
});
