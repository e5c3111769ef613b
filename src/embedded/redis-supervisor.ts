/**
 * Keeps one child process running: when it exits without being asked to, log it and relaunch
 * it after a growing delay; after too many restarts within a minute, give up and say so
 * (a Redis that dies every few seconds needs a human, not a restart loop).
 */
import type { ChildProcess } from 'node:child_process';
import { toError } from '../errors.js';
import type { Logger } from '../log.js';
import { EmbeddedRedisError } from './errors.js';

export interface SupervisorOptions {
  child: ChildProcess;
  /** Start a replacement; resolves once it is ready, rejects if it could not start. */
  relaunch: () => Promise<ChildProcess>;
  logger: Logger;
  maxRestartsPerMinute: number;
  onFatal: (err: Error) => void;
  /** Clock, for tests. */
  now?: () => number;
  /** Grace period after SIGTERM before SIGKILL on stop. Default 10 s. */
  stopTimeoutMs?: number;
}

const WINDOW_MS = 60_000;
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 5_000;

export class Supervisor {
  private child: ChildProcess | undefined;
  private readonly restarts: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private relaunching: Promise<unknown> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: SupervisorOptions) {
    this.now = opts.now ?? Date.now;
    this.watch(opts.child);
  }

  /** pid of the running child; 0 while none runs. */
  get pid(): number {
    return this.child?.pid ?? 0;
  }

  private watch(child: ChildProcess): void {
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      this.opts.logger.error(
        { pid: child.pid, code, signal },
        'embedded redis-server exited unexpectedly; restarting it',
      );
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    const now = this.now();
    while (this.restarts.length > 0 && (this.restarts[0] ?? 0) <= now - WINDOW_MS) {
      this.restarts.shift();
    }
    if (this.restarts.length >= this.opts.maxRestartsPerMinute) {
      const err = new EmbeddedRedisError(
        'ERR_REDIS_GAVE_UP',
        `embedded redis-server died ${this.restarts.length + 1} times within a minute; not restarting it`,
      );
      this.opts.logger.fatal({ err }, 'embedded redis-server supervision gave up');
      this.opts.onFatal(err);
      return;
    }
    const delay = Math.min(FIRST_DELAY_MS * 2 ** this.restarts.length, MAX_DELAY_MS);
    this.restarts.push(now);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.relaunching = this.restart().finally(() => (this.relaunching = undefined));
    }, delay);
  }

  private async restart(): Promise<void> {
    try {
      const child = await this.opts.relaunch();
      if (this.stopping) {
        await terminate(child, this.opts.stopTimeoutMs ?? 10_000);
        return;
      }
      this.watch(child);
      this.opts.logger.info({ pid: child.pid }, 'embedded redis-server restarted');
    } catch (err) {
      if (this.stopping) return;
      this.opts.logger.error({ err: toError(err) }, 'embedded redis-server restart failed');
      this.scheduleRestart();
    }
  }

  /** Stop supervising and terminate the child. A second call returns the first. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      await this.relaunching;
      const child = this.child;
      if (child !== undefined) await terminate(child, this.opts.stopTimeoutMs ?? 10_000);
      this.opts.logger.info('embedded redis-server stopped');
    })();
    return this.stopped;
  }
}

/** SIGTERM makes redis-server flush the AOF and exit; SIGKILL only if it hangs. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), graceMs);
  });
  if ((await Promise.race([exited, hung])) === 'hung') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}
