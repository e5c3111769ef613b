/**
 * The `regnotify` CLI as a real child process (`node dist/workers/regnotify.js`, needs
 * `npm run build`) on a config file written for the test: one Redis prefix per config, the
 * ingest on a free port of 127.0.0.1, endpoints given as YAML text.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import type { Event } from '../../src/events/types.js';
import { cli, reapChildren, spawnNode } from './processes.js';
import type { Child } from './processes.js';
import { startReceiver } from './receiver.js';
import type { Receiver, StartReceiverOptions } from './receiver.js';
import { freePort, useRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

export { cli };
const dir = mkdtempSync(path.join(os.tmpdir(), 'regnotify-cli-service-'));
let configs = 0;

export interface ServiceConfig {
  file: string;
  /** http://127.0.0.1:P — the ingest. */
  base: string;
}

/** A config file: Redis at `redisUrl` under a fresh prefix, `endpoints` as YAML list items. */
export async function serviceConfig(
  redisUrl: string,
  endpoints: string,
  level = 'info',
): Promise<ServiceConfig> {
  const port = await freePort();
  const file = path.join(dir, `c${++configs}.yml`);
  const text = `redis:\n  url: ${redisUrl}\n  prefix: svc${configs}\ningest:\n  addr: 127.0.0.1:${port}\nlogging:\n  level: ${level}\nnotifications:\n  endpoints:\n${endpoints}`;
  writeFileSync(file, text);
  return { file, base: `http://127.0.0.1:${port}` };
}

/** `regnotify <command> --config FILE`, resolved once it says what shows it is ready. */
export async function startService(
  command: 'start' | 'ingest' | 'work',
  config: ServiceConfig,
): Promise<Child> {
  const proc = spawnNode(cli, [command, '--config', config.file]);
  await proc.waitForLine(
    command === 'work' ? /delivery workers started/ : /ingest listening/,
    15_000,
  );
  return proc;
}

/** POSTs one envelope of `events` to the ingest; throws unless it answers 200. */
export async function postEvents(config: ServiceConfig, events: readonly Event[]): Promise<void> {
  const res = await fetch(`${config.base}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body: encodeEnvelope([...events]),
  });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}

/** SIGTERM, then the exit (a clean stop is code 0). */
export async function stopService(proc: Child): Promise<number | null> {
  proc.kill('SIGTERM');
  return (await proc.exited).code;
}

export interface ServiceTest {
  /** The file's redis-server. */
  redis: () => RedisServer;
  /** A test receiver, closed after the test. */
  receiver(options?: StartReceiverOptions): Promise<Receiver>;
}

/**
 * The set-up of a test file that runs CLI services against test receivers: a redis-server for
 * the file; after each test, the child processes are reaped, then the receivers closed. Call it
 * at the top of the file (it registers hooks).
 */
export function useServiceTest(): ServiceTest {
  const redis = useRedis();
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await reapChildren();
    for (const rx of receivers.splice(0)) await rx.close();
  });
  return {
    redis,
    async receiver(options = {}) {
      const rx = await startReceiver(options);
      receivers.push(rx);
      return rx;
    },
  };
}

/** A fresh Standard Webhooks secret (`whsec_` + 32 random bytes in base64). */
export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
