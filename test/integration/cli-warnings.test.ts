/**
 * Start-up warnings a newcomer needs, as users meet them (real CLI processes, a real
 * redis-server): an ingest with no endpoint answers 200 and stores nothing, and an endpoint
 * whose URL is the process's own ingest makes a loop. Each is said once, as a warn log line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { makeEvent } from '../helpers/delivery.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { freePort, useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
let dir: string;
let configs = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-cli-warnings-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function writeConfig(ingestAddr: string, endpoints: string): Promise<string> {
  const file = path.join(dir, `warn${++configs}.yml`);
  await writeFile(
    file,
    `redis:\n  url: ${redis().url}\n  prefix: warn${configs}\ningest:\n  addr: ${ingestAddr}\n${endpoints}`,
  );
  return file;
}

interface LogLine {
  level: number;
  msg: string;
  endpoint?: string;
}

/** The JSON log lines of a process (standard output is not a terminal: JSON). */
function logLines(proc: Child): LogLine[] {
  return proc.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

const WARN = 40; // pino's level number

async function stop(proc: Child): Promise<void> {
  proc.kill('SIGTERM');
  expect(await proc.exited).toEqual({ code: 0, signal: null });
}

describe('start-up warnings', () => {
  it('an ingest with no endpoint says once that it stores nothing', async () => {
    const file = await writeConfig('127.0.0.1:0', '');
    const proc = spawnNode(cli, ['ingest', '--config', file]);
    const listening = await proc.waitForLine(/ingest listening/, 15_000);
    const { url } = JSON.parse(listening) as { url: string };
    for (const id of [1, 2]) {
      const res = await fetch(`${url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
        body: encodeEnvelope([makeEvent(id, 'warn')]),
      });
      expect(res.status).toBe(200);
    }
    await stop(proc);
    const warnings = logLines(proc).filter((l) => /no endpoint/.test(l.msg));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: WARN,
        msg: 'no endpoint is configured (notifications.endpoints): the ingest answers 200 to every envelope and stores nothing',
      }),
    ]);
  });

  it("an endpoint whose URL is this process's own ingest is a loop", async () => {
    const port = await freePort();
    const file = await writeConfig(
      `127.0.0.1:${port}`,
      `notifications:
  endpoints:
    - name: loop
      url: http://localhost:${port}/events?x=1
    - name: other-path
      url: http://127.0.0.1:${port}/hook
    - name: elsewhere
      url: http://127.0.0.1:9/events
`,
    );
    const proc = spawnNode(cli, ['start', '--config', file]);
    await proc.waitForLine(/ingest listening/, 15_000);
    await stop(proc);
    const loops = logLines(proc).filter((l) => /loop/.test(l.msg));
    expect(loops).toEqual([
      expect.objectContaining({
        level: WARN,
        endpoint: 'loop',
        msg: `endpoint loop delivers to this process's own ingest (http://127.0.0.1:${port}/events): every event it is sent comes back in, a loop`,
      }),
    ]);
    expect(logLines(proc).filter((l) => /no endpoint/.test(l.msg))).toEqual([]);
  });
});
