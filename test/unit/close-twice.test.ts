/**
 * Every close()/stop() may be called again, during or after the first: it returns (or waits for)
 * the first, never rejects, and closes what it holds once. Callers need no `.catch` for it.
 * (Also covered elsewhere: App — test/integration/app-lifecycle.test.ts; EndpointWorker and the
 * producer — test/integration/close-twice.test.ts; Broadcaster, RetryingSink, EventQueue,
 * HttpSink, Endpoint — test/unit/sinks/; the embedded Redis — embedded-redis.test.ts.)
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startPrintReceiver } from '../../src/embedded/print-receiver.js';
import { Supervisor } from '../../src/embedded/redis-supervisor.js';
import { startHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { HttpPoster } from '../../src/sinks/http-post.js';

const logger = createLogger({ level: 'silent' });

/** Calls close twice at once, then once more after it settled. */
async function closeThrice(close: () => Promise<void>): Promise<void> {
  await expect(Promise.all([close(), close()])).resolves.toEqual([undefined, undefined]);
  await expect(close()).resolves.toBeUndefined();
}

describe('close twice', () => {
  it('HttpPoster: the first close, whatever is in flight', async () => {
    const poster = new HttpPoster('http://127.0.0.1:9/', { timeoutMs: 1000 });
    const first = poster.close();
    expect(poster.close()).toBe(first);
    await closeThrice(() => poster.close());
  });

  it('the HTTP server and the print receiver', async () => {
    const server = await startHttpServer({ addr: '127.0.0.1:0', handlers: [], logger });
    await closeThrice(() => server.close());
    const receiver = await startPrintReceiver({ port: 0 });
    await closeThrice(() => receiver.close());
  });

  it('the embedded Redis supervisor: its child is signalled once', async () => {
    const signals: string[] = [];
    const child = Object.assign(new EventEmitter(), {
      pid: 1,
      exitCode: null as number | null,
      signalCode: null as string | null,
      kill(signal: string): boolean {
        signals.push(signal);
        child.signalCode = signal;
        child.emit('exit', null, signal);
        return true;
      },
    });
    const lines: string[] = [];
    const supervisor = new Supervisor({
      child: child as unknown as ChildProcess,
      relaunch: () => Promise.reject(new Error('not relaunched')),
      logger: createLogger({ destination: { write: (line: string) => void lines.push(line) } }),
      maxRestartsPerMinute: 3,
      onFatal: () => undefined,
    });
    await closeThrice(() => supervisor.stop());
    expect(signals).toEqual(['SIGTERM']);
    expect(lines.filter((l) => l.includes('embedded redis-server stopped'))).toHaveLength(1);
  });
});
