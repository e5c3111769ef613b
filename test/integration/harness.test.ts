/**
 * The test helpers themselves: a harness that lies makes every integration test meaningless.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startRedis, useRedis } from '../helpers/redis-server.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { dieWithParent, reapChildren, spawnNode } from '../helpers/processes.js';
import { delay, waitUntil } from '../helpers/wait.js';

describe('redis-server helper', () => {
  const redis = useRedis();

  it('runs with AOF, noeviction and no RDB snapshots', async () => {
    const client = redis().client();
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
      expect(await client.config('GET', 'save')).toEqual(['save', '']);
      expect(redis().url).toBe(`redis://127.0.0.1:${redis().port}`);
    } finally {
      client.disconnect();
    }
  });

  it('keeps data written more than 1 s before a kill -9 (appendfsync everysec)', async () => {
    const server = redis();
    const client = server.client();
    try {
      await client.set('survivor', 'yes');
      // The condition under test, not synchronisation: with everysec, a write older than 1 s
      // has been fsynced, so it must survive the crash.
      await delay(1_100);
      const pidBefore = server.pid;
      await server.kill9();
      await server.restart();
      expect(server.pid).not.toBe(pidBefore);
      expect(await client.get('survivor')).toBe('yes'); // the same client reconnects by itself
    } finally {
      client.disconnect();
    }
  });

  it('reports clients left open, and stop() removes its temp dir', async () => {
    const server = await startRedis();
    try {
      const leaked = server.client();
      await leaked.ping();
      expect(server.openClients()).toHaveLength(1);
      expect(server.openClients()[0]).toContain('harness.test.ts');
      await leaked.quit();
      expect(server.openClients()).toHaveLength(0);
    } finally {
      await server.stop();
    }
    expect(existsSync(server.dataDir)).toBe(false);
  });

  it('passes extra arguments through', async () => {
    const server = await startRedis({
      appendfsync: 'always',
      args: ['--hash-max-listpack-value', '2048'],
    });
    const client = server.client();
    try {
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
      expect(await client.config('GET', 'hash-max-listpack-value')).toEqual([
        'hash-max-listpack-value',
        '2048',
      ]);
    } finally {
      await server.stop();
    }
    expect(client.status).toBe('end');
  });
});

describe('receiver helper', () => {
  it('records requests and answers the chosen statuses', async () => {
    const receiver = await startReceiver({
      respond: (_req, i) => (i === 0 ? 503 : { status: 200, body: 'ok' }),
    });
    try {
      const envelope = JSON.stringify({ events: [{ id: 'a' }, { id: 'b' }] });
      const first = await fetch(receiver.url, {
        method: 'POST',
        body: envelope,
        headers: { 'X-Test': 'one' },
      });
      expect(first.status).toBe(503);
      await first.arrayBuffer();
      const second = await fetch(receiver.url, { method: 'POST', body: '{"events":[]}' });
      expect(second.status).toBe(200);
      expect(await second.text()).toBe('ok');

      const [r0, r1] = await receiver.waitFor(2);
      expect(r0?.method).toBe('POST');
      expect(r0?.url).toBe('/events');
      expect(r0?.headers['x-test']).toBe('one');
      expect(r0?.rawHeaders).toContain('X-Test');
      expect(r0?.status).toBe(503);
      expect(eventIdsOf(r0!)).toEqual(['a', 'b']);
      expect(eventIdsOf(r1!)).toEqual([]);
      expect(r0!.completedAt).toBeGreaterThanOrEqual(r0!.receivedAt);
    } finally {
      await receiver.close();
    }
  });

  it('waitFor rejects with how many requests arrived by the deadline', async () => {
    const receiver = await startReceiver();
    try {
      await (await fetch(receiver.url, { method: 'POST', body: '{}' })).text();
      await expect(receiver.waitFor(3, 200)).rejects.toThrow(
        'expected 3 request(s) within 200 ms, 1 arrived',
      );
    } finally {
      await receiver.close();
    }
  });

  it('counts concurrent requests, drops connections, and comes back on the same port', async () => {
    const receiver = await startReceiver({ respond: () => ({ status: 204, delayMs: 150 }) });
    try {
      const three = [1, 2, 3].map(() => fetch(receiver.url, { method: 'POST', body: '{}' }));
      await waitUntil(() => receiver.inFlight() === 3, { message: '3 requests in flight' });
      expect((await Promise.all(three)).map((r) => r.status)).toEqual([204, 204, 204]);
      expect(receiver.maxInFlight).toBe(3);
      expect(receiver.inFlight()).toBe(0);

      receiver.setRespond(() => ({ status: 200, destroy: true }));
      await expect(fetch(receiver.url, { method: 'POST', body: '{}' })).rejects.toThrow();

      await receiver.close();
      await expect(fetch(receiver.url, { method: 'POST', body: '{}' })).rejects.toThrow();
      await receiver.reopen();
      receiver.setRespond(() => 202);
      expect((await fetch(receiver.url, { method: 'POST', body: '{}' })).status).toBe(202);
      expect(receiver.requests).toHaveLength(5);
    } finally {
      await receiver.close();
    }
  });
});

describe('process helper', () => {
  const scripts = mkdtempSync(path.join(os.tmpdir(), 'regnotify-harness-'));
  afterEach(reapChildren);
  afterAll(() => rmSync(scripts, { recursive: true, force: true }));

  it('waits for a line, and reaps (and reports) a leaked child', async () => {
    const script = path.join(scripts, 'child.mjs');
    writeFileSync(
      script,
      "console.log('ready ' + process.argv[2]); setInterval(() => {}, 1000);\n",
    );
    const child = spawnNode(script, ['42']);
    expect(await child.waitForLine(/^ready/, 5_000)).toBe('ready 42');
    await expect(child.waitForLine(/never/, 100)).rejects.toThrow(
      /no such line within 100 ms[\s\S]*ready 42/,
    );
    await expect(reapChildren()).rejects.toThrow(`pid ${child.pid}`);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(child.waitForLine(/never/, 1_000)).rejects.toThrow(/exited first/);
  });

  it('dieWithParent: a grandchild is killed when its parent dies without cleaning up', async () => {
    const script = path.join(scripts, 'parent.mjs');
    writeFileSync(
      script,
      "import { spawn } from 'node:child_process';\n" +
        'const [cmd, args] = JSON.parse(process.argv[2]);\n' +
        "const g = spawn(cmd, args, { stdio: 'ignore' });\n" +
        "console.log('grandchild ' + g.pid); setInterval(() => {}, 1000);\n",
    );
    const parent = spawnNode(script, [JSON.stringify(dieWithParent('sleep', ['60']))]);
    const pid = Number((await parent.waitForLine(/^grandchild \d+$/, 5_000)).split(' ')[1]);
    expect(isAlive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await parent.exited;
    await waitUntil(() => !isAlive(pid), { message: `grandchild ${pid} gone`, timeoutMs: 5_000 });
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
