/**
 * The app's own lifecycle (startApp → close), on a real redis-server: closing is one
 * operation however many callers ask for it (a signal and a fatal error can race).
 */
import { describe, expect, it } from 'vitest';
import { readEndpointStats } from '../../src/queue/stats.js';
import { events, startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { uniqueName } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const cleanup = useCleanups();

describe('App.close', () => {
  it('is idempotent: every call returns the one close, which stops each part once', async () => {
    const rx = await startReceiver();
    cleanup(() => rx.close());
    const svc = await startTestApp({
      redisUrl: redis().url,
      prefix: uniqueName('life'),
      endpoints: [{ name: 'a', url: rx.url }],
    });
    const first = svc.app.close();
    const second = svc.app.close();
    expect(second).toBe(first);
    await first;
    await svc.app.close(); // after the fact, too
    const errors = svc.lines().filter((l) => l['msg'] === 'error while stopping');
    expect(errors).toEqual([]);
  });

  it('a second call while the first runs keeps the stop order: the delivery in flight finishes', async () => {
    const rx = await startReceiver({ respond: () => ({ status: 200, delayMs: 800 }) });
    cleanup(() => rx.close());
    const prefix = uniqueName('life');
    const svc = await startTestApp({
      redisUrl: redis().url,
      prefix,
      endpoints: [{ name: 'a', url: rx.url, timeout: '10s' }],
    });
    expect((await svc.post(events(1, 'life'))).status).toBe(200);
    await rx.waitFor(1);
    // A signal and a fatal error arrive together: the connections must outlive the workers.
    await Promise.all([svc.app.close(), svc.app.close()]);
    const client = redis().client();
    cleanup(() => client.quit());
    expect(await readEndpointStats(client, prefix, 'a')).toMatchObject({
      pending: 0,
      successes: 1,
    });
    expect(rx.requests).toHaveLength(1);
  });
});
