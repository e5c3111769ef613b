import { describe, expect, it } from 'vitest';
import { checkRedisServer, createRedisClient, waitReady } from '../../src/queue/connection.js';
import { startRedis } from '../helpers/redis-server.js';

async function warningsFor(args: string[]): Promise<string[]> {
  const redis = await startRedis({ args });
  const client = createRedisClient({ url: redis.url }, 'worker');
  try {
    await waitReady(client);
    return await checkRedisServer(client);
  } finally {
    await client.quit();
    await redis.stop();
  }
}

describe('start-up checks of the Redis server', () => {
  it('say nothing for a Redis set up as regnotify needs it', async () => {
    const args = ['--hash-max-listpack-value', '2048', '--maxmemory', '64mb'];
    expect(await warningsFor(args)).toEqual([]);
  });

  it('warn when keys can be evicted, persistence is off, memory unbounded, or hashes not compact', async () => {
    const warnings = await warningsFor(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/maxmemory-policy is "allkeys-lru".*EVICTED/);
    expect(warnings[1]).toMatch(/persistence is OFF/);
    expect(warnings[2]).toMatch(/maxmemory is 0 \(no limit\)/);
    expect(warnings[3]).toMatch(/hash-max-listpack-value is 64/);
  });
});
