/**
 * HTTP spoken by hand over a TCP socket, for what a well-behaved client library will not do:
 * headers without the body they announce, a body that stops half-way, half a request line.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RawReply {
  /** Everything the server sent before it closed the connection. */
  text: string;
  /** ms from `rawConnect` to the first byte of the answer. */
  firstByteMs: number;
  /** ms from `rawConnect` to the server closing the connection. */
  closedMs: number;
}

export interface RawConnection {
  write(data: string | Buffer): Promise<void>;
  /** Resolves once the server answered something (the first byte). */
  answered(): Promise<void>;
  /** Whether anything has come back yet. */
  readonly hasAnswer: boolean;
  /**
   * Resolves when the server closes the connection, with what it sent; rejects after
   * `timeoutMs` saying the server never closed it (it is then destroyed).
   */
  reply(timeoutMs?: number): Promise<RawReply>;
  destroy(): void;
}

export async function rawConnect(port: number): Promise<RawConnection> {
  const started = performance.now();
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let firstByteMs: number | undefined;
  const waiting = new Set<() => void>();
  socket.on('data', (chunk: Buffer) => {
    firstByteMs ??= performance.now() - started;
    text += chunk.toString('latin1');
    for (const w of waiting) w();
  });
  // A reset after the server answered is a normal way for it to end a refused upload.
  socket.on('error', () => undefined);
  const closed = new Promise<RawReply>((resolve) => {
    socket.once('close', () =>
      resolve({ text, firstByteMs: firstByteMs ?? NaN, closedMs: performance.now() - started }),
    );
  });
  return {
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        socket.write(data, (err) => (err ? reject(err) : resolve()));
      }),
    answered: () =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (firstByteMs === undefined) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
      }),
    get hasAnswer() {
      return firstByteMs !== undefined;
    },
    reply: (timeoutMs = 10_000) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          socket.destroy();
          reject(
            new Error(
              `the server did not close the connection within ${timeoutMs} ms; it sent: ${JSON.stringify(text)}`,
            ),
          );
        }, timeoutMs);
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
    destroy: () => socket.destroy(),
  };
}

/** The status code of a raw HTTP/1.1 answer, or 0 when there is none. */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A header of a raw answer (first occurrence, name case-insensitive). */
export function headerOf(text: string, name: string): string | undefined {
  const head = text.split('\r\n\r\n', 1)[0] ?? '';
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).trim().toLowerCase() === name.toLowerCase()) {
      return line.slice(colon + 1).trim();
    }
  }
  return undefined;
}

/** The JSON body of a raw answer. */
export function jsonOf(text: string): unknown {
  const at = text.indexOf('\r\n\r\n');
  return JSON.parse(text.slice(at + 4)) as unknown;
}
