import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Supervisor } from '../../src/embedded/redis-supervisor.js';
import { createLogger } from '../../src/log.js';

/** Just enough of a ChildProcess for the supervisor: pid, exit state, kill → exit. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly signals: string[] = [];
  constructor(readonly pid: number) {
    super();
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    this.die(null, signal);
    return true;
  }
  die(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

const asChild = (c: FakeChild): ChildProcess => c as unknown as ChildProcess;
const logger = createLogger({ level: 'silent' });

describe('Supervisor', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(maxRestartsPerMinute = 3) {
    let nextPid = 100;
    const children = [new FakeChild(nextPid)];
    const fatal: Error[] = [];
    const supervisor = new Supervisor({
      child: asChild(children[0]!),
      relaunch: () => {
        const c = new FakeChild(++nextPid);
        children.push(c);
        return Promise.resolve(asChild(c));
      },
      logger,
      maxRestartsPerMinute,
      onFatal: (err) => fatal.push(err),
      now: () => Date.now(), // follows the fake clock
    });
    return { supervisor, children, fatal };
  }

  it('relaunches a child that died, after a backoff that grows', async () => {
    const { supervisor, children } = setup();
    children[0]!.die(null, 'SIGKILL');
    expect(supervisor.pid).toBe(0);
    await vi.advanceTimersByTimeAsync(199);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(supervisor.pid).toBe(101);
    children[1]!.die(1);
    await vi.advanceTimersByTimeAsync(399); // second restart waits 400 ms
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(supervisor.pid).toBe(102);
  });

  it('gives up and reports after too many restarts within a minute', async () => {
    const { children, fatal } = setup(2);
    children[0]!.die(1);
    await vi.advanceTimersByTimeAsync(5_000);
    children[1]!.die(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fatal).toEqual([]);
    children[2]!.die(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(3);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]?.message).toMatch(/3 times within a minute/);
    expect(fatal[0]).toMatchObject({ name: 'EmbeddedRedisError', code: 'ERR_REDIS_GAVE_UP' });
  });

  it('forgets restarts older than a minute', async () => {
    const { children, fatal } = setup(1);
    children[0]!.die(1);
    await vi.advanceTimersByTimeAsync(61_000);
    children[1]!.die(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fatal).toEqual([]);
    expect(children).toHaveLength(3);
  });

  it('stop() terminates the child with SIGTERM and does not restart it', async () => {
    const { supervisor, children } = setup();
    await supervisor.stop();
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });

  it('stop() during a pending restart cancels it', async () => {
    const { supervisor, children } = setup();
    children[0]!.die(1);
    await supervisor.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
  });
});
