/**
 * A Redis Sentinel set-up on 127.0.0.1: one master, one replica (both AOF, noeviction, own data
 * dirs: see redis-server.ts) and three sentinels (`redis-server <conf> --sentinel`, quorum 2,
 * down-after 1 s), everything killed with the test process. Helpers make the faults — a
 * `SENTINEL FAILOVER`, a kill -9 of the master — and time the promotion.
 */
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { findOnPath } from './processes.js';
import { freePort, launch, startRedis } from './redis-server.js';
import type { ClientOptions, LaunchedRedis, RedisServer } from './redis-server.js';
import { waitUntil } from './wait.js';

export const MASTER_NAME = 'regnotify-master';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 5000;

export interface Promotion {
  /** When the fault was made (failover asked, master killed). */
  faultAt: number;
  /** When the replica first answered ROLE as a master. */
  promotedAt: number;
  /** When every sentinel named the new master (what clients asking Sentinel learn). */
  announcedAt: number;
}

export interface SentinelSet {
  /** Initial roles; after a fault, `replica` is the master. */
  readonly master: RedisServer;
  readonly replica: RedisServer;
  /** "127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3", as REGNOTIFY_REDIS_SENTINEL_SENTINELS takes it. */
  readonly sentinels: string;
  readonly name: string;
  /**
   * `SENTINEL FAILOVER <name>` on one sentinel; resolves once the replica is promoted and every
   * sentinel names it. `onPromoted` runs the moment the replica answers ROLE as a master.
   */
  failover(onPromoted?: () => void): Promise<Promotion>;
  /** kill -9 of the master; resolves as failover() does. */
  killMaster(onPromoted?: () => void): Promise<Promotion>;
  /**
   * After killMaster(): starts the old master again on its port and data dir and makes it a
   * replica of the promoted one at once (as deployment scripts that ask Sentinel for the master
   * before starting a node do; left to Sentinel, a returning master stays a master for several
   * seconds: Sentinel waits 8 s before it reconfigures an instance that reports the wrong role).
   * Resolves with the time it was told REPLICAOF.
   */
  reviveOldMaster(): Promise<number>;
  /**
   * When the old master is a replica of the promoted one with its link up (after a failover,
   * Sentinel demotes it; after reviveOldMaster(), it resyncs), or undefined after `timeoutMs`.
   */
  oldMasterInSync(timeoutMs: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const bin = findOnPath('redis-server');
  if (bin === undefined) throw new Error('redis-server not found: apt-get install -y redis-server');
  const master = await startRedis();
  const stops: (() => Promise<void>)[] = [() => master.stop()];
  const stopAll = async (): Promise<void> => {
    for (const fn of stops.splice(0).reverse()) await fn();
  };
  try {
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    stops.push(() => replica.stop());
    const sentinels: { port: number; proc: LaunchedRedis }[] = [];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'regnotify-sentinel-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    for (let i = 0; i < 3; i++) {
      const s = await launchSentinel(bin, dir, i, master.port);
      sentinels.push(s);
      stops.push(() => s.proc.kill('SIGTERM'));
    }
    const admin = clientOf(replica);
    const ports = sentinels.map((s) => s.port);
    await waitUntil(() => sentinelsReady(replica, ports), {
      timeoutMs: 20_000,
      intervalMs: 100,
      message: 'sentinels know each other and the replica, and the replica is in sync',
    });

    const awaitPromotion = async (
      faultAt: number,
      onPromoted: (() => void) | undefined,
    ): Promise<Promotion> => {
      await waitUntil(async () => (await role(admin)) === 'master', {
        timeoutMs: 30_000,
        message: `replica on port ${replica.port} promoted to master`,
      });
      const promotedAt = now();
      onPromoted?.();
      await waitUntil(
        async () => (await announcedPorts(replica, ports)).every((p) => p === replica.port),
        {
          timeoutMs: 30_000,
          message: `every sentinel names port ${replica.port} as the master`,
        },
      );
      return { faultAt, promotedAt, announcedAt: now() };
    };

    return {
      master,
      replica,
      sentinels: ports.map((p) => `127.0.0.1:${p}`).join(','),
      name: MASTER_NAME,
      async failover(onPromoted?: () => void): Promise<Promotion> {
        const client = sentinelClient(replica, ports[0]!);
        try {
          const faultAt = now();
          await client.call('SENTINEL', 'FAILOVER', MASTER_NAME);
          return await awaitPromotion(faultAt, onPromoted);
        } finally {
          client.disconnect();
        }
      },
      async killMaster(onPromoted?: () => void): Promise<Promotion> {
        const faultAt = now();
        await master.kill9();
        return awaitPromotion(faultAt, onPromoted);
      },
      async reviveOldMaster(): Promise<number> {
        await master.restart();
        const client = clientOf(master);
        try {
          await client.call('REPLICAOF', '127.0.0.1', String(replica.port));
          return now();
        } finally {
          client.disconnect();
        }
      },
      async oldMasterInSync(timeoutMs: number): Promise<number | undefined> {
        const client = clientOf(master);
        try {
          await waitUntil(
            async () => {
              const info = await client.info('replication');
              return /role:slave/.test(info) && /master_link_status:up/.test(info);
            },
            { timeoutMs, intervalMs: 50 },
          );
          return now();
        } catch {
          return undefined;
        } finally {
          client.disconnect();
        }
      },
      async stop(): Promise<void> {
        admin.disconnect();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function launchSentinel(
  bin: string,
  dir: string,
  index: number,
  masterPort: number,
): Promise<{ port: number; proc: LaunchedRedis }> {
  // As in startRedis: the free port may be taken before redis binds it; retry with another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const conf = path.join(dir, `sentinel-${index}.conf`);
    // Sentinel rewrites its config file (epochs, known peers): each needs its own, writable.
    await writeFile(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        'protected-mode no',
        'daemonize no',
        `dir ${dir}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    try {
      return { port, proc: await launch(bin, [conf, '--sentinel', '--loglevel', 'warning'], port) };
    } catch (err) {
      if (attempt < 5 && err instanceof Error && /in use/i.test(err.message)) continue;
      throw err;
    }
  }
}

/**
 * A tracked client (closed with the server) that fails a command rather than waiting for a
 * reconnect. Nodes here are killed on purpose, so connection errors are expected: every command
 * is awaited and rejects on its own, and the 'error' events are not worth ioredis's warning.
 */
function clientOf(server: RedisServer, opts: ClientOptions = {}): Redis {
  const client = server.client({ maxRetriesPerRequest: 1, ...opts });
  client.on('error', () => {});
  return client;
}

function sentinelClient(server: RedisServer, port: number): Redis {
  // Only the port differs from the data node's.
  return clientOf(server, { port });
}

async function role(client: Redis): Promise<string> {
  const reply = (await client.call('ROLE')) as unknown[];
  return String(reply[0]);
}

/** Every sentinel sees the other two and the replica; the replica's link to the master is up. */
async function sentinelsReady(replica: RedisServer, ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const client = sentinelClient(replica, port);
    try {
      const flat = (await client.call('SENTINEL', 'MASTER', MASTER_NAME)) as string[];
      const info = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i]!, flat[i + 1]!);
      if (info.get('num-other-sentinels') !== '2' || info.get('num-slaves') !== '1') return false;
    } finally {
      client.disconnect();
    }
  }
  const data = clientOf(replica);
  try {
    return /master_link_status:up/.test(await data.info('replication'));
  } finally {
    data.disconnect();
  }
}

async function announcedPorts(server: RedisServer, ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const client = sentinelClient(server, port);
      try {
        const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as
          string[] | null;
        return Number(reply?.[1] ?? 0);
      } finally {
        client.disconnect();
      }
    }),
  );
}

function now(): number {
  return performance.timeOrigin + performance.now();
}
