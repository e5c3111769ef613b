/**
 * The rate limit's Redis step (src/queue/rate-limit.ts) on a real Redis: limiters on separate
 * connections (as separate processes would be) share one sliding log, a wait ends at once
 * when its signal aborts, and a full Redis still grants.
 */
import { describe, expect, it } from 'vitest';
import { endpointKeys } from '../../src/queue/names.js';
import { RateLimiter } from '../../src/queue/rate-limit.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();

describe('RateLimiter', () => {
  it('shares the limit between clients: at most max grants in any `per`, by Redis time', async () => {
    const key = endpointKeys('rl', 'shared').rate;
    const clients = [1, 2, 3].map(() => redis().client());
    const grants: number[] = [];
    const stop = AbortSignal.timeout(1500);
    await Promise.all(
      clients.map(async (client) => {
        const limiter = new RateLimiter(client, key, { max: 5, perMs: 300 });
        while (await limiter.acquire(stop)) {
          const [s, us] = await client.time();
          grants.push(Number(s) * 1000 + Number(us) / 1000);
        }
      }),
    );
    grants.sort((a, b) => a - b);
    // 1.5 s of three clients asking as fast as they can: about five windows of five.
    expect(grants.length).toBeGreaterThanOrEqual(10);
    expect(grants.length).toBeLessThanOrEqual(5 * (1500 / 300 + 1));
    // Each grant's time is read just after it (one more round trip): a 50 ms margin.
    for (let i = 5; i < grants.length; i++) {
      expect(grants[i]! - grants[i - 5]!, `grant ${i}`).toBeGreaterThanOrEqual(300 - 50);
    }
    const admin = redis().client();
    expect(await admin.zcard(key)).toBeLessThanOrEqual(5);
    // The log expires when idle: right after a grant it lives at most `per`. (Read after a
    // grant of its own: on a loaded machine the loop above may have ended more than `per` ago,
    // and the log with it.)
    const last = new RateLimiter(admin, key, { max: 5, perMs: 300 });
    expect(await last.acquire(AbortSignal.timeout(5000))).toBe(true);
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    for (const c of [...clients, admin]) await c.quit();
  });

  it('a wait ends when its signal aborts, and nothing is granted', async () => {
    const key = endpointKeys('rl', 'abort').rate;
    const client = redis().client();
    const limiter = new RateLimiter(client, key, { max: 1, perMs: 60_000 });
    expect(await limiter.acquire(new AbortController().signal)).toBe(true);
    const started = Date.now();
    expect(await limiter.acquire(AbortSignal.timeout(100))).toBe(false);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await client.zcard(key)).toBe(1);
    await client.quit();
  });

  it('grants on a full Redis (noeviction): its first write frees memory', async () => {
    const key = endpointKeys('rl', 'full').rate;
    const client = redis().client();
    const limiter = new RateLimiter(client, key, { max: 100, perMs: 50 });
    expect(await limiter.acquire(new AbortController().signal)).toBe(true);
    const [, policy] = (await client.config('GET', 'maxmemory-policy')) as [string, string];
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1'); // below what Redis uses: full
    try {
      await expect(client.set('rl:probe', 'x')).rejects.toThrow(/OOM/);
      expect(await limiter.acquire(new AbortController().signal)).toBe(true);
    } finally {
      await client.config('SET', 'maxmemory', '0');
      await client.config('SET', 'maxmemory-policy', policy);
    }
    await client.quit();
  });
});
