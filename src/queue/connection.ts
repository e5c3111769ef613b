import { Cluster, Redis } from 'ioredis';
import { StoreUnavailableError, toError } from '../errors.js';

/** Where Redis is: one URL, a Cluster (seed nodes) or a Sentinel group. */
export interface RedisSettings {
  url: string;
  cluster?: { nodes: string[] };
  sentinel?: { name: string; sentinels: string[] };
  password?: string;
  /** A producer command that got no answer after this long fails (the write is refused). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export type RedisClient = Redis | Cluster;

/**
 * `worker` connections wait out outages (BullMQ requires `maxRetriesPerRequest: null`);
 * `producer` connections must never sit on a write: no offline queue, no replay after a
 * disconnect, and a command timeout, so that a write either lands or fails in bounded time.
 */
export type ConnectionRole = 'worker' | 'producer';

// Options are built as plain literals: ioredis 6's option types do not accept an annotated
// RedisOptions object under exactOptionalPropertyTypes.
function roleOptions(role: ConnectionRole, settings: RedisSettings) {
  const common = {
    connectTimeout: settings.connectTimeoutMs ?? 1000,
    // Reconnect for ever, soon: a healed partition or a restarted Redis is found again within
    // about one connect timeout plus half a second.
    retryStrategy: (times: number) => Math.min(times * 50, 500),
    enableReadyCheck: true,
    // A primary demoted to replica (a failover) answers writes with READONLY: reconnect, which
    // asks the sentinels (or DNS) again. The worker resends the command there; the producer's
    // write fails at once (503, the registry retries) — it must not sit in a queue.
    reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 1 : false),
    ...(settings.password ? { password: settings.password } : {}),
  };
  if (role === 'worker') {
    return {
      ...common,
      reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    };
  }
  return {
    ...common,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: settings.commandTimeoutMs ?? 5000,
  };
}

function hostPort(spec: string): { host: string; port: number } {
  const u = new URL(spec.includes('://') ? spec : `redis://${spec}`);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

export function createRedisClient(settings: RedisSettings, role: ConnectionRole): RedisClient {
  const options = roleOptions(role, settings);
  if (settings.cluster && settings.cluster.nodes.length > 0) {
    const { retryStrategy: _r, enableOfflineQueue, ...redisOptions } = options;
    return new Cluster(settings.cluster.nodes.map(hostPort), {
      redisOptions,
      enableOfflineQueue,
      clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000),
    });
  }
  if (settings.sentinel && settings.sentinel.sentinels.length > 0) {
    return new Redis({
      ...options,
      name: settings.sentinel.name,
      sentinels: settings.sentinel.sentinels.map(hostPort),
      // Follow a failover the moment the sentinels announce it (+switch-master), rather than
      // when the old primary is demoted, seconds later — writes it took meanwhile are lost.
      failoverDetector: true,
    });
  }
  return new Redis(settings.url, options);
}

/** Resolves when the client is ready (connected and loaded), rejects after `timeoutMs`. */
export async function waitReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: unknown) => {
      lastError = toError(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new StoreUnavailableError(
          `Redis not ready after ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`,
          { cause: lastError },
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

/**
 * What a production Redis for regnotify must have, as human-readable warnings: without
 * `noeviction` Redis may silently evict queued events under memory pressure; without AOF a
 * restart loses everything since the last snapshot.
 */
export async function checkRedisServer(client: RedisClient): Promise<string[]> {
  const node = client instanceof Cluster ? client.nodes('master')[0] : client;
  if (!node) return ['Redis Cluster: no master node known; could not check its settings'];
  const warnings: string[] = [];
  const get = async (name: string): Promise<string | undefined> => {
    try {
      const reply = (await node.call('CONFIG', 'GET', name)) as string[];
      return reply[1];
    } catch {
      return undefined; // managed Redis often forbids CONFIG
    }
  };
  const policy = await get('maxmemory-policy');
  if (policy === undefined) {
    warnings.push(
      'could not read maxmemory-policy (CONFIG GET refused): make sure it is noeviction',
    );
  } else if (policy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is "${policy}": queued events can be EVICTED and lost; set maxmemory-policy noeviction`,
    );
  }
  const aof = await get('appendonly');
  const save = await get('save');
  if (aof === 'no') {
    warnings.push(
      save
        ? `Redis AOF is off (only RDB snapshots "${save}"): a Redis crash loses events accepted since the last snapshot; set appendonly yes`
        : 'Redis persistence is OFF (appendonly no, no save points): a Redis restart loses every queued event; set appendonly yes',
    );
  }
  if ((await get('maxmemory')) === '0') {
    warnings.push(
      'Redis maxmemory is 0 (no limit): Redis grows until the machine runs out of memory and the OS kills it; set maxmemory, so that the ingest can refuse new events before Redis is full (redis.writeHeadroomPercent)',
    );
  }
  const listpack = await get('hash-max-listpack-value');
  if (listpack !== undefined && Number(listpack) < 1024) {
    warnings.push(
      `Redis hash-max-listpack-value is ${listpack}: each pending event takes ~2x the memory; 2048 keeps event hashes compact`,
    );
  }
  return warnings;
}

/**
 * With `redis.waitReplicas` set, every acknowledgement waits for that many replicas: a
 * primary that has fewer connected makes the ingest answer 503 to everything. Say so at start.
 */
export async function checkReplicas(client: RedisClient, wanted: number): Promise<string[]> {
  if (wanted <= 0) return [];
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const warnings: string[] = [];
  for (const node of nodes) {
    try {
      const info = await node.info('replication');
      const have = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? '0');
      if (have < wanted) {
        const where =
          client instanceof Cluster ? ` (${node.options.host}:${node.options.port})` : '';
        warnings.push(
          `redis.waitReplicas is ${wanted} but the primary${where} has ${have} replica(s) connected: the ingest answers 503 until enough replicas confirm each write`,
        );
      }
    } catch {
      warnings.push('could not read INFO replication to check redis.waitReplicas');
    }
  }
  return warnings;
}
