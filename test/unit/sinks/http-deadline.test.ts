/**
 * The endpoint timeout bounds the whole attempt, as Go's http.Client.Timeout does: connect,
 * TLS, request, response headers. The peers here hang where a network partition would make
 * them hang, all on 127.0.0.1: a listener that never accepts (connect never completes), a TCP
 * peer that never speaks TLS, a keep-alive peer that goes silent mid-request, and an iptables
 * partition (test/helpers/partition.ts: root and iptables, which `npm test` installs; without
 * them that test fails saying so, never skips).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransportError } from '../../../src/errors.js';
import { HttpSink } from '../../../src/sinks/http.js';
import type { PostResult } from '../../../src/sinks/http.js';
import { useCleanups } from '../../helpers/cleanup.js';
import { cutPort, healAll, iptablesProblem } from '../../helpers/partition.js';
import { reapChildren, spawnNode } from '../../helpers/processes.js';
import { waitUntil } from '../../helpers/wait.js';

const TIMEOUT_MS = 500;
/** Generous for a loaded 2-core machine; the old behaviour took undici's 10 s connect timeout. */
const UPPER_MS = TIMEOUT_MS + 2000;
const blackHoleScript = fileURLToPath(new URL('./black-hole-listener.mjs', import.meta.url));

// Registered first so that it runs last (vitest runs after-hooks as a stack).
afterEach(() => reapChildren());
const cleanup = useCleanups();

/** TCP sockets open in this process, connecting ones included. */
const openSockets = (): number =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

async function timed(run: () => Promise<PostResult>): Promise<{ ms: number; result: PostResult }> {
  const start = performance.now();
  const result = await run();
  return { ms: performance.now() - start, result };
}

function expectDeadline(result: PostResult): void {
  expect(result).toMatchObject({ ok: false, status: 0 });
  expect(!result.ok && result.error).toBeInstanceOf(HttpTransportError);
  expect(!result.ok && result.error.message).toMatch(/context deadline exceeded/);
}

/**
 * A port whose connects hang: a stopped process's listener with a full accept queue. `probe`
 * is one more connect, started before the test's: while it is still pending, connects hang.
 */
async function blackHole(): Promise<{ port: number; probe: net.Socket }> {
  const child = spawnNode(blackHoleScript);
  const { port } = JSON.parse(await child.waitForLine(/"port"/)) as { port: number };
  cleanup(async () => {
    child.kill('SIGKILL');
    await child.exited;
  });
  child.kill('SIGSTOP');
  await waitUntil(() => /^\d+ \(.*\) T/.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8')), {
    message: 'listener process stopped',
  });
  const sockets: net.Socket[] = [];
  cleanup(async () => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < 2; i++) {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    await once(s, 'connect'); // the kernel completes these without the process: backlog 1 + 1
  }
  const probe = net.connect(port, '127.0.0.1');
  probe.on('error', () => undefined);
  sockets.push(probe);
  return { port, probe };
}

describe('HttpSink: the timeout bounds the whole attempt', () => {
  it('ends a connect that never completes at the deadline, and its socket does not outlive the connect timeout', async () => {
    const { port, probe } = await blackHole();
    const before = openSockets();
    const sink = new HttpSink(`http://127.0.0.1:${port}/x`, { timeoutMs: TIMEOUT_MS });
    cleanup(() => sink.close());
    const { ms, result } = await timed(() => sink.post('{}'));
    expectDeadline(result);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5); // timers may fire a hair early
    expect(ms).toBeLessThan(UPPER_MS);
    expect(probe.connecting).toBe(true); // the port really was a black hole all along
    await waitUntil(() => openSockets() === before, {
      timeoutMs: TIMEOUT_MS + 5000,
      message: "the attempt's connect to be given up",
    });
  });

  it("ends at the caller's abort during the connect; the orphaned connect ends at the connect timeout", async () => {
    const { port } = await blackHole();
    const before = openSockets();
    const sink = new HttpSink(`http://127.0.0.1:${port}/x`, { timeoutMs: 1500 });
    cleanup(() => sink.close());
    const ac = new AbortController();
    const pending = sink.post('{}', { signal: ac.signal });
    await waitUntil(() => openSockets() === before + 1, { message: 'the connect to start' });
    const { ms, result } = await timed(() => {
      ac.abort();
      return pending;
    });
    expect(ms).toBeLessThan(1000); // the abort, not the 1.5 s timeout, nor undici's 10 s
    expect(result).toMatchObject({ ok: false, status: 0 });
    expect(!result.ok && result.error.message).not.toMatch(/deadline/);
    // undici cannot abort a connect; the sink's Agent gives it up at its connect timeout.
    await waitUntil(() => openSockets() === before, {
      timeoutMs: 1500 + 5000,
      message: 'the orphaned connect to end',
    });
  });

  it('ends a TLS handshake the peer never answers, and the socket is closed', async () => {
    const accepted: net.Socket[] = [];
    const closed: net.Socket[] = [];
    // Accepts TCP, reads (and drops) the ClientHello, never speaks TLS.
    const silent = net.createServer((s) => {
      accepted.push(s);
      s.on('close', () => closed.push(s)).resume();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup(
      () => new Promise((r) => silent.close(r)),
      async () => accepted.forEach((s) => s.destroy()),
    );
    const { port } = silent.address() as AddressInfo;
    const sink = new HttpSink(`https://127.0.0.1:${port}/x`, { timeoutMs: TIMEOUT_MS });
    cleanup(() => sink.close());
    const { ms, result } = await timed(() => sink.post('{}'));
    expectDeadline(result);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(UPPER_MS);
    expect(accepted).toHaveLength(1);
    await waitUntil(() => closed.length === 1, {
      timeoutMs: TIMEOUT_MS + 5000,
      message: 'the client to close the TLS socket',
    });
  });

  it('ends an attempt on a keep-alive connection whose peer goes silent mid-request, and drops that connection', async () => {
    // A bare HTTP/1.1 peer: answers the first request, then stops reading in the middle of the
    // second one's body, so the client's write stalls and no answer comes.
    const sockets: net.Socket[] = [];
    let stalled: net.Socket | undefined;
    const server = net.createServer((s) => {
      sockets.push(s);
      let text = '';
      s.on('data', (chunk: Buffer) => {
        if (text === 'answered') {
          stalled = s;
          return void s.pause();
        }
        text += chunk.toString('latin1');
        const head = text.indexOf('\r\n\r\n');
        const length = Number(/content-length: *(\d+)/i.exec(text)?.[1] ?? 0);
        if (head < 0 || text.length < head + 4 + length) return;
        text = 'answered';
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup(
      () => new Promise((r) => server.close(r)),
      async () => sockets.forEach((s) => s.destroy()),
    );
    const { port } = server.address() as AddressInfo;
    // One connection, so the second request surely goes on the first one's socket.
    const agent = new Agent({ connections: 1 });
    const sink = new HttpSink(`http://127.0.0.1:${port}/x`, {
      timeoutMs: TIMEOUT_MS,
      dispatcher: agent,
    });
    cleanup(
      () => agent.close(),
      () => sink.close(),
    );
    await expect(sink.post('{}')).resolves.toMatchObject({ ok: true });
    const big = 'x'.repeat(8 * 1024 * 1024); // more than the socket buffers hold
    const { ms, result } = await timed(() => sink.post(big));
    expectDeadline(result);
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(UPPER_MS);
    expect(stalled).toBe(sockets[0]); // the keep-alive connection of the first request
    // Read on: what is left of the body, then the end the client must have closed.
    let ended = false;
    stalled!.removeAllListeners('data');
    stalled!.on('data', () => undefined).once('end', () => (ended = true));
    stalled!.resume();
    await waitUntil(() => ended, { message: 'the client to drop the stalled connection' });
  });
});

describe('HttpSink across a partition made with iptables', () => {
  beforeAll(() => {
    const problem = iptablesProblem();
    if (problem !== undefined) throw new Error(problem);
  });
  afterEach(() => healAll());

  it('bounds an attempt on an established connection and on a new one while packets are dropped', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const { port } = server.address() as AddressInfo;
    const sink = new HttpSink(`http://127.0.0.1:${port}/x`, { timeoutMs: TIMEOUT_MS });
    cleanup(() => sink.close());
    await expect(sink.post('{}')).resolves.toMatchObject({ ok: true }); // a keep-alive socket
    const partition = await cutPort(port);
    for (let i = 0; i < 2; i++) {
      // 1st: the established connection goes silent; 2nd: a new connect's SYNs are dropped.
      const { ms, result } = await timed(() => sink.post('{}'));
      expectDeadline(result);
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(ms).toBeLessThan(UPPER_MS);
    }
    await partition.heal();
    await expect(sink.post('{}')).resolves.toMatchObject({ ok: true }); // healed
  });
});
