/**
 * A Redis Cluster on 127.0.0.1: three masters and three replicas (`--cluster-enabled yes`, each
 * node with its own data dir, AOF and noeviction as redis-server.ts starts them; killed with the
 * test process), created with `redis-cli --cluster create … --cluster-replicas 1`. A small
 * cluster-node-timeout (2 s) keeps failovers within seconds. Helpers kill -9 the master that
 * owns a key's slot and time its replica's promotion.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { findOnPath } from './processes.js';
import { startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';
import { waitUntil } from './wait.js';

const run = promisify(execFile);
/**
 * Small, yet above what a delivery lock outlives: a promotion takes ~3.5 s with it, so the lock
 * of a delivery in flight at a kill (lockDuration 4 s, renewed every 2 s) has expired when the
 * replica takes over — the worst case, the one where BullMQ's stalled check must step in. With
 * 1000 the promotion (~2.5 s) mostly beats the lock and that path is rarely taken.
 */
const NODE_TIMEOUT_MS = 2000;

export interface SlotOwner {
  slot: number;
  master: RedisServer;
  replica: RedisServer;
}

export interface ClusterPromotion {
  slot: number;
  /** When the master was killed. */
  faultAt: number;
  /** When its replica first answered ROLE as a master. */
  promotedAt: number;
  /** When a surviving node reported cluster_state:ok again. */
  clusterOkAt: number;
  killed: RedisServer;
  promoted: RedisServer;
}

export interface RedisClusterSet {
  readonly nodes: readonly RedisServer[];
  /** "127.0.0.1:p1,…" for REGNOTIFY_REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  /** The master serving `key`'s slot and its replica. */
  ownerOf(key: string): Promise<SlotOwner>;
  /** kill -9 of the master serving `key`; resolves once its replica is promoted. */
  killMasterOf(key: string): Promise<ClusterPromotion>;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisClusterSet> {
  const cli = findOnPath('redis-cli');
  if (cli === undefined)
    throw new Error(
      'redis-cli not found: apt-get install -y redis-tools (it comes with redis-server)',
    );
  const nodes: RedisServer[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 6; i++) {
      nodes.push(
        await startRedis({
          args: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', String(NODE_TIMEOUT_MS),
          ],
        }), // prettier-ignore
      );
    }
    await run(
      cli,
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`)].concat([
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]),
      { timeout: 30_000 },
    );
    // One admin client per node; a node is killed on purpose, so its connection errors are
    // expected (commands reject on their own): no 'error' warnings from ioredis.
    const admins = new Map(
      nodes.map((n) => {
        const client = n.client({ maxRetriesPerRequest: 1 });
        client.on('error', () => {});
        return [n, client];
      }),
    );
    const adminOf = (n: RedisServer): Redis => admins.get(n)!;
    await waitUntil(() => clusterReady(nodes, adminOf), {
      timeoutMs: 30_000,
      intervalMs: 100,
      message: 'cluster_state:ok on every node, three replicas in sync',
    });

    const ownerOf = async (key: string): Promise<SlotOwner> => {
      const any = adminOf(nodes[0]!);
      const slot = Number(await any.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await any.call('CLUSTER', 'SLOTS')) as [
        number,
        number,
        ...[string, number][],
      ][];
      const range = ranges.find(([start, end]) => slot >= start && slot <= end);
      if (range === undefined) throw new Error(`cluster: no node serves slot ${slot}`);
      const [, , master, replica] = range;
      const byPort = (port: number | undefined): RedisServer => {
        const node = nodes.find((n) => n.port === Number(port));
        if (node === undefined)
          throw new Error(`cluster: slot ${slot} served by unknown port ${port}`);
        return node;
      };
      return { slot, master: byPort(master?.[1]), replica: byPort(replica?.[1]) };
    };

    return {
      nodes,
      seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
      ownerOf,
      async killMasterOf(key: string): Promise<ClusterPromotion> {
        const { slot, master, replica } = await ownerOf(key);
        admins.get(master)?.disconnect();
        admins.delete(master);
        const faultAt = now();
        await master.kill9();
        await waitUntil(async () => (await roleOf(adminOf(replica))) === 'master', {
          timeoutMs: 30_000,
          message: `replica on port ${replica.port} promoted after its master (port ${master.port}) was killed`,
        });
        const promotedAt = now();
        await waitUntil(
          async () =>
            /cluster_state:ok/.test(String(await adminOf(replica).call('CLUSTER', 'INFO'))),
          {
            timeoutMs: 30_000,
            message: 'cluster_state:ok after the failover',
          },
        );
        return { slot, faultAt, promotedAt, clusterOkAt: now(), killed: master, promoted: replica };
      },
      async stop(): Promise<void> {
        for (const client of admins.values()) client.disconnect();
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function roleOf(client: Redis): Promise<string> {
  return String(((await client.call('ROLE')) as unknown[])[0]);
}

async function clusterReady(
  nodes: RedisServer[],
  adminOf: (n: RedisServer) => Redis,
): Promise<boolean> {
  let syncedReplicas = 0;
  for (const node of nodes) {
    const admin = adminOf(node);
    if (!/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO')))) return false;
    const replication = await admin.info('replication');
    if (/role:slave/.test(replication) && /master_link_status:up/.test(replication))
      syncedReplicas++;
  }
  return syncedReplicas === 3;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}
