/**
 * A real, private redis-server per test file: ephemeral port on 127.0.0.1, its own data dir,
 * AOF on (as production must run it), and the means to crash and restart it.
 *
 * Every ioredis client made through `server.client()` is tracked: `stop()` closes them, and
 * `useRedis()` fails the file if a test left one open (a leaked client hides bugs in close()).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { dieWithParent, findOnPath } from './processes.js';
import { freePort, pingRedis } from '../../src/embedded/net.js';
import { delay } from './wait.js';

export { freePort };

export interface StartRedisOptions {
  appendfsync?: 'everysec' | 'always';
  /** Extra redis-server arguments, e.g. ['--hash-max-listpack-value', '2048']. */
  args?: string[];
  /** Use this directory (kept on stop) instead of a fresh temp dir (removed on stop). */
  dataDir?: string;
}

/** ioredis options (replyMapping left out: its typings clash under exactOptionalPropertyTypes). */
export type ClientOptions = Omit<RedisOptions, 'replyMapping'>;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** pid of the current redis-server process (changes on restart). */
  readonly pid: number;
  /**
   * A new ioredis client to this server, tracked and closed on stop. Defaults to
   * `maxRetriesPerRequest: null` (what BullMQ requires); pass options to override.
   */
  client(opts?: ClientOptions): Redis;
  /** Tracked clients not yet closed, with where each was created. */
  openClients(): string[];
  /** SIGKILL (no shutdown work, no final fsync), then wait for the exit. */
  kill9(): Promise<void>;
  /** Start again on the same port and dir (the AOF is reloaded); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Close tracked clients, SIGTERM, wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const REDIS_BIN = 'redis-server';
const START_TIMEOUT_MS = 10_000;
const LOG_LIMIT = 16_000;

/** Processes still running, so a crashed test run does not leave redis-servers behind. */
const liveServers = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = findOnPath(REDIS_BIN);
  if (bin === undefined) throw new Error('redis-server not found: apt-get install -y redis-server');
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'regnotify-redis-'));
  if (ownsDir) tempDirs.add(dataDir);

  // The port is free when we look and taken by redis a moment later; another process may win
  // the race, so retry with a new port when redis reports the address in use.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = serverArgs(port, dataDir, options);
    try {
      const proc = await launch(bin, args, port);
      return makeServer({ bin, args, port, dataDir, ownsDir, proc });
    } catch (err) {
      if (attempt < 5 && err instanceof Error && /in use/i.test(err.message)) continue;
      if (ownsDir) await removeDir(dataDir);
      throw err;
    }
  }
}

/**
 * Starts one redis-server for the calling test file (beforeAll) and stops it (afterAll).
 * Returns an accessor, valid inside tests and hooks. afterAll fails the file if a client made
 * with `server.client()` is still open.
 */
export function useRedis(options: StartRedisOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    if (server === undefined) return;
    const leaked = server.openClients();
    await server.stop();
    server = undefined;
    if (leaked.length > 0) {
      throw new Error(
        `${leaked.length} ioredis client(s) made with redis.client() were still open after the ` +
          `test file; quit() or disconnect() them in the test or its afterEach:\n  ${leaked.join('\n  ')}`,
      );
    }
  });
  return () => {
    if (server === undefined)
      throw new Error('useRedis(): server used outside the test file lifecycle');
    return server;
  };
}

interface ServerState {
  bin: string;
  args: string[];
  port: number;
  dataDir: string;
  ownsDir: boolean;
  proc: LaunchedRedis | undefined;
}

function makeServer(initial: ServerState & { proc: LaunchedRedis }): RedisServer {
  const state: ServerState = initial;
  const clients = new Map<Redis, string>();

  const closeClients = (): void => {
    for (const client of clients.keys()) client.disconnect();
    clients.clear();
  };

  return {
    port: state.port,
    url: `redis://127.0.0.1:${state.port}`,
    dataDir: state.dataDir,
    get pid(): number {
      return state.proc?.child.pid ?? -1;
    },
    client(opts: ClientOptions = {}): Redis {
      const client = new Redis({
        host: '127.0.0.1',
        port: state.port,
        maxRetriesPerRequest: null,
        ...opts,
      });
      clients.set(client, creationSite());
      client.once('end', () => clients.delete(client));
      return client;
    },
    openClients(): string[] {
      return [...clients].filter(([c]) => !isClosed(c)).map(([, site]) => site);
    },
    async kill9(): Promise<void> {
      const proc = state.proc;
      state.proc = undefined;
      if (proc !== undefined) await proc.kill('SIGKILL');
    },
    async restart(): Promise<void> {
      if (state.proc !== undefined)
        throw new Error('restart(): redis-server is still running; kill9() or stop() first');
      state.proc = await launch(state.bin, state.args, state.port);
    },
    async stop(): Promise<void> {
      closeClients();
      const proc = state.proc;
      state.proc = undefined;
      if (proc !== undefined) await proc.kill('SIGTERM');
      if (state.ownsDir) await removeDir(state.dataDir);
    },
  };
}

function serverArgs(port: number, dataDir: string, options: StartRedisOptions): string[] {
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dataDir,
    '--appendonly', 'yes',
    '--appendfsync', options.appendfsync ?? 'everysec',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    ...(options.args ?? []),
  ]; // prettier-ignore
}

export interface LaunchedRedis {
  child: ChildProcess;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns redis-server and resolves once it answers PING; rejects with its log otherwise. Exported
 * for the topology helpers (redis-sentinel.ts starts its sentinels with it).
 */
export async function launch(bin: string, args: string[], port: number): Promise<LaunchedRedis> {
  const [command, argv] = dieWithParent(bin, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveServers.add(child);
  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      liveServers.delete(child);
      resolve(`exited with ${signal ?? `code ${String(code)}`}`);
    });
    child.once('error', (err) => resolve(`failed to spawn: ${err.message}`));
  });
  let exitReason: string | undefined;
  void exited.then((reason) => (exitReason = reason));

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingRedis(port))) {
    if (exitReason !== undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      const why = exitReason ?? `did not answer PING within ${START_TIMEOUT_MS} ms`;
      throw new Error(`redis-server on port ${port} ${why}:\n${log}`);
    }
    await delay(20);
  }
  return {
    child,
    async kill(signal): Promise<void> {
      if (exitReason === undefined) child.kill(signal);
      await exited;
    },
  };
}

async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Closed, or closing on request: quit() resolves before the socket is gone (status is still
 * 'ready'), so look at ioredis's own flag, set by quit() and disconnect(). A never-connected
 * lazy client ('wait') holds no socket.
 */
function isClosed(client: Redis): boolean {
  const closing = (client as unknown as { manuallyClosing?: unknown }).manuallyClosing === true;
  return closing || client.status === 'end' || client.status === 'wait';
}

/** The first stack frame outside this file: where a leaked client was created. */
function creationSite(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const outside = frames.find((f) => !f.includes('redis-server.ts'));
  return outside?.trim() ?? 'unknown site';
}
