import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { Logger } from '../../src/log.js';
import { EmbeddedRedisError, startEmbeddedRedis } from '../../src/embedded/redis-server.js';
import type { EmbeddedRedis } from '../../src/embedded/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const dirs: string[] = [];
const servers: EmbeddedRedis[] = [];
const clients: Redis[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'regnotify-embedded-'));
  dirs.push(dir);
  return path.join(dir, 'var', 'redis'); // not created yet: startEmbeddedRedis must create it
}

function collectingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

async function start(dataDir: string, logger?: Logger): Promise<EmbeddedRedis> {
  const server = await startEmbeddedRedis({
    dataDir,
    logger: logger ?? collectingLogger().logger,
  });
  servers.push(server);
  return server;
}

function client(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  clients.push(c);
  return c;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEmbeddedRedis', () => {
  it('runs a private redis-server on 127.0.0.1 with AOF and noeviction', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(server.dataDir).toBe(path.resolve(dataDir));
    const c = client(server.url);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await c.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(await c.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await c.config('GET', 'hash-max-listpack-value')).toEqual([
      'hash-max-listpack-value',
      '2048',
    ]);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    expect(await c.config('GET', 'dir')).toEqual(['dir', path.resolve(dataDir)]);
  });

  it('restarts Redis after kill -9, on the same port, with the AOF data', async () => {
    const { logger, lines } = collectingLogger();
    const server = await start(tempDir(), logger);
    const c = client(server.url);
    await c.set('durable-key', 'durable-value');
    // Wait until the write is in the AOF file on disk (what kill -9 cannot take away).
    const aofDir = path.join(server.dataDir, 'appendonlydir');
    await waitUntil(() =>
      readdirSync(aofDir).some((f) =>
        readFileSync(path.join(aofDir, f), 'latin1').includes('durable-value'),
      ),
    );
    const oldPid = server.pid;
    process.kill(oldPid, 'SIGKILL');
    await waitUntil(() => server.pid !== 0 && server.pid !== oldPid, { timeoutMs: 15_000 });
    expect(isRunning(oldPid)).toBe(false);
    const after = client(server.url);
    expect(await after.get('durable-key')).toBe('durable-value');
    expect(lines.some((l) => l['level'] === 50 && String(l['msg']).includes('unexpectedly'))).toBe(
      true,
    );
  });

  it('stop() leaves no redis-server process and releases the data dir', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const pid = server.pid;
    expect(isRunning(pid)).toBe(true);
    await server.stop();
    await server.stop(); // idempotent
    expect(isRunning(pid)).toBe(false);
    // The same directory can be used again once released.
    const again = await start(dataDir);
    expect(isRunning(again.pid)).toBe(true);
  });

  it('refuses a second embedded Redis on the same data dir', async () => {
    const dataDir = tempDir();
    await start(dataDir);
    const err = await startEmbeddedRedis({ dataDir, logger: collectingLogger().logger }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'ERR_REDIS_DATADIR_LOCKED' });
  });

  it('rejects with ERR_REDIS_NOT_FOUND and the install hint when the binary is missing', async () => {
    const dataDir = tempDir();
    const err = await startEmbeddedRedis({
      bin: 'regnotify-no-such-redis-server',
      dataDir,
      logger: collectingLogger().logger,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedRedisError);
    expect(err).toMatchObject({ code: 'ERR_REDIS_NOT_FOUND' });
    expect((err as Error).message).toContain('apt-get install -y redis-server');
    expect((err as Error).message).toContain('brew install redis');
    expect((err as Error).message).toContain('REGNOTIFY_REDIS_URL');
    // The failed start released its lock.
    const server = await start(dataDir);
    expect(server.pid).toBeGreaterThan(0);
  });
});
