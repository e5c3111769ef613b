/**
 * A Redis that comes back without its data (issue 7, item 9): events that were acknowledged
 * are gone, and nothing can bring them back — but it must never pass in silence.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { events, startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { uniqueName } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import { startRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const cleanup = useCleanups();

describe('Redis restarted without its data', () => {
  it('is reported: an error line naming the endpoint and a metric', async () => {
    const own = await startRedis();
    cleanup(() => own.stop());
    const rx = await startReceiver({ respond: () => 500 }); // events stay pending
    cleanup(() => rx.close());
    const svc = await startTestApp({
      redisUrl: own.url,
      prefix: uniqueName('loss'),
      endpoints: [{ name: 'a', url: rx.url, backoff: '10s', threshold: 1 }],
    });
    cleanup(() => svc.close());
    expect((await svc.post(events(3, 'lost'))).status).toBe(200);

    await own.kill9();
    rmSync(path.join(own.dataDir, 'appendonlydir'), { recursive: true, force: true });
    await own.restart();

    await waitUntil(
      () => svc.lines().some((l) => l['level'] === 50 && /lost data/.test(String(l['msg']))),
      { message: 'an error line saying Redis lost data', timeoutMs: 15_000 },
    );
    const line = svc.lines().find((l) => /lost data/.test(String(l['msg'])));
    expect(line).toMatchObject({ endpoint: 'a' });
    const metrics = await svc.get('/metrics');
    expect(metrics.text).toMatch(/^regnotify_redis_data_loss_total\{endpoint="a"\} [1-9]/m);
  });
});
