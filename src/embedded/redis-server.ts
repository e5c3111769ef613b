/**
 * A private redis-server for `regnotify start`: bound to 127.0.0.1, configured the way
 * regnotify needs Redis to run (AOF everysec, noeviction, listpack-sized hashes), supervised
 * (restarted on the same port and directory if it dies), and stopped cleanly with the process.
 *
 * Production deployments point redis.url at a real Redis instead; this exists so one command
 * gives a working, durable setup on a laptop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedRedisError } from './errors.js';
import type { Logger } from '../log.js';
import { REDIS_PID_FILE, lockDataDir } from './datadir-lock.js';
import type { DataDirLock } from './datadir-lock.js';
import { Supervisor } from './redis-supervisor.js';
import { freePort, pingRedis } from './net.js';

export { EmbeddedRedisError };

export const REDIS_INSTALL_HINT =
  'redis-server not found on PATH: install it (Debian/Ubuntu: apt-get install -y redis-server; ' +
  'macOS: brew install redis) or set redis.url / REGNOTIFY_REDIS_URL to an existing Redis';

export interface EmbeddedRedisOptions {
  /** Executable, looked up on PATH unless it contains a '/'. Default 'redis-server'. */
  bin?: string;
  /** Data directory (AOF files); created if missing. */
  dataDir: string;
  /** Port on 127.0.0.1; 0 (default) = pick a free one. */
  port?: number;
  logger: Logger;
  /** Extra redis-server arguments, appended last (so they win). */
  args?: string[];
  /** Give up supervising after this many restarts within one minute. Default 5. */
  maxRestartsPerMinute?: number;
  /** Called once if supervision gives up (Redis keeps dying): the caller should shut down. */
  onFatal?: (err: Error) => void;
  /** How long to wait for the first PING answer. Default 10 s. */
  startTimeoutMs?: number;
}

export interface EmbeddedRedis {
  readonly url: string;
  readonly port: number;
  /** pid of the current redis-server (changes when the supervisor restarts it). */
  readonly pid: number;
  readonly dataDir: string;
  /** Shut Redis down (SIGTERM: it flushes the AOF), wait for the exit, release the lock. */
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 10_000;

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dataDir = path.resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const lock = await lockDataDir(dataDir, process.pid);
  try {
    const bin = options.bin ?? 'redis-server';
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const { port, child } = await launchOnPort(bin, options, dataDir, timeoutMs);
    return supervise({ bin, port, child, dataDir, lock, timeoutMs, options });
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** A fixed port is used as given; port 0 retries with another free port if one is taken. */
async function launchOnPort(
  bin: string,
  options: EmbeddedRedisOptions,
  dataDir: string,
  timeoutMs: number,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port || (await freePort());
    try {
      const child = await launch(bin, serverArgs(port, dataDir, options.args), options.logger, {
        port,
        timeoutMs,
      });
      return { port, child };
    } catch (err) {
      const inUse = err instanceof Error && /in use/i.test(err.message);
      if (!options.port && inUse && attempt < 5) continue;
      throw err;
    }
  }
}

function supervise(s: {
  bin: string;
  port: number;
  child: ChildProcess;
  dataDir: string;
  lock: DataDirLock;
  timeoutMs: number;
  options: EmbeddedRedisOptions;
}): EmbeddedRedis {
  const { bin, port, dataDir, lock, timeoutMs, options } = s;
  const logger = options.logger.child({ component: 'embedded-redis', port });
  const args = serverArgs(port, dataDir, options.args);
  const supervisor = new Supervisor({
    child: s.child,
    relaunch: () => launch(bin, args, logger, { port, timeoutMs }),
    logger,
    maxRestartsPerMinute: options.maxRestartsPerMinute ?? 5,
    onFatal: options.onFatal ?? (() => undefined),
  });
  logger.info({ redisPid: s.child.pid, dataDir }, 'embedded redis-server started');
  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dataDir,
    get pid() {
      return supervisor.pid;
    },
    stop: () => {
      stopping ??= supervisor.stop().finally(() => lock.release());
      return stopping;
    },
  };
}

export function serverArgs(port: number, dataDir: string, extra: string[] = []): string[] {
  return [
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--dir', dataDir,
    '--pidfile', path.join(dataDir, REDIS_PID_FILE),
    // Durability: every acknowledged event must survive a crash of Redis itself.
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    // BullMQ breaks (silently loses jobs) if Redis evicts keys under memory pressure.
    '--maxmemory-policy', 'noeviction',
    // A bound, so the ingest refuses (503) before Redis is full (redis.writeHeadroomPercent):
    // about 170,000 pending events of 1 KB.
    '--maxmemory', '256mb',
    // Keeps a stored event's hash compact (listpack): test/contract/bullmq-mechanics.test.ts, i.
    '--hash-max-listpack-value', '2048',
    ...extra,
  ]; // prettier-ignore
}

/**
 * Spawn redis-server and resolve once it answers PING; reject (and kill it) if it exits first
 * or does not answer in time. Its log lines go to `logger` (warnings as warn, the rest debug).
 */
export async function launch(
  bin: string,
  args: string[],
  logger: Logger,
  opts: { port: number; timeoutMs: number },
): Promise<ChildProcess> {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new EmbeddedRedisError(
              'ERR_REDIS_NOT_FOUND',
              `${REDIS_INSTALL_HINT} (tried ${bin})`,
              err,
            )
          : new EmbeddedRedisError('ERR_REDIS_START', `cannot run ${bin}: ${err.message}`, err),
      );
    });
  });
  const output = forwardOutput(child, logger);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(`exited (${signal ?? `code ${code}`})`));
  });
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const outcome = await Promise.race([exited, pingRedis(opts.port).then((ok) => ok || null)]);
    if (outcome === true) return child;
    if (typeof outcome === 'string' || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = typeof outcome === 'string' ? outcome : `no PING answer in ${opts.timeoutMs} ms`;
      throw new EmbeddedRedisError(
        'ERR_REDIS_START',
        `redis-server on 127.0.0.1:${opts.port} ${why}: ${output().slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Redis log lines look like `pid:M 01 Jan 2026 10:00:00.000 # message`. Redis marks its start-up
 * banner with `#` too, so only lines that say WARNING or error are warnings here.
 */
function forwardOutput(child: ChildProcess, logger: Logger): () => string {
  let tail = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString();
    tail = (tail + text).slice(-4000);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      if (/^\d+:[A-Z] .* # .*(WARNING|[Ee]rror|[Ff]ailed)/.test(line)) {
        logger.warn({ redis: line }, 'redis-server');
      } else logger.debug({ redis: line }, 'redis-server');
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return () => tail;
}
