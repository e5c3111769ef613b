/**
 * Trace finds an event that waits deep in a backlog (never attempted): the pending events are
 * read a page at a time from the head, keeping only the matches, up to `scanPending` (20,000).
 */
import { describe, expect, it } from 'vitest';
import { events, startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const cleanup = useCleanups();

describe('trace in a backlog', () => {
  it('finds an event 2,400 deep in a queue nobody delivers, as pending', async () => {
    // Ingest only: nothing is delivered, the 2,500 events stay pending in acceptance order.
    const app = await startTestApp({
      redisUrl: redis().url,
      prefix: 'deep',
      endpoints: [{ name: 'hook', url: 'http://127.0.0.1:9/events' }],
      roles: { workers: false },
    });
    cleanup(() => app.close());
    const all = events(2500, 'deep');
    for (let i = 0; i < all.length; i += 500) {
      expect((await app.post(all.slice(i, i + 500))).status).toBe(200);
    }
    const wanted = all[2400]!;
    const res = await fetch(`${app.app.httpUrl}/api/v1/trace?q=${encodeURIComponent(wanted.id)}`);
    expect(res.status).toBe(200);
    const { events: found } = (await res.json()) as {
      events: { eventId: string; endpoints: { endpoint: string; state: string }[] }[];
    };
    expect(found.map((e) => e.eventId)).toEqual([wanted.id]);
    expect(found[0]!.endpoints).toMatchObject([{ endpoint: 'hook', state: 'pending' }]);
  }, 60_000);
});
