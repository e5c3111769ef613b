/**
 * Chaos (issue 7, item 5): Redis Sentinel (1 master, 1 replica, 3 sentinels) through
 * `SENTINEL FAILOVER` under a steady ingest load, WITHOUT waiting for replicas: what the old
 * master acknowledged after the promotion and before its clients moved can be thrown away by
 * its resync. regnotify's connections follow the sentinels' +switch-master at once, so what is
 * lost is bounded by that window (asserted, with a margin), not by the seconds Sentinel takes
 * to demote the old master; the count is the README's "without WAIT" figure. With
 * REGNOTIFY_REDIS_WAITREPLICAS=1 nothing is lost: see sentinel-failover.test.ts.
 */
import { afterEach, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import { reapChildren } from '../helpers/processes.js';
import { sentinelScenario } from './sentinel-scenario.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

it('SENTINEL FAILOVER under load without WAIT: only what was acknowledged until the switch was announced can be lost', async () => {
  const o = await sentinelScenario('failover', false, cleanup);
  expect(o.t.acked, 'events acknowledged').toBeGreaterThan(0);
  expect(o.announcedMs, 'the sentinels announced the switch').not.toBeNull();
  // Acknowledged just before the promotion (not yet replicated) up to the announcement, plus
  // the time a process takes to reconnect: 2 s of margin for a loaded machine.
  const window = { from: -1000, to: (o.announcedMs ?? 0) + 2000 };
  const outside = o.lostAnsweredMs.filter((ms) => !(ms >= window.from && ms <= window.to));
  expect(
    outside,
    `lost events acknowledged outside ${JSON.stringify(window)} ms of the promotion`,
  ).toEqual([]);
}, 90_000);
