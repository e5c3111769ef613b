/**
 * Chaos (issue 7, item 5): Redis Sentinel (1 master, 1 replica, 3 sentinels), kill -9 of the
 * master under a steady ingest load, with REGNOTIFY_REDIS_WAITREPLICAS=1 (the ingest answers 200
 * only once a replica confirmed the write): every acknowledged event must be delivered, and the
 * ingest answer 200 again and delivery resume within 10 s of the promotion. The killed master
 * is started again as a replica at once, so a WAIT can be had again within seconds.
 */
import { afterEach, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import { reapChildren } from '../helpers/processes.js';
import { expectDelivered, expectWithin, sentinelScenario } from './sentinel-scenario.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

it('kill -9 of the master under load with WAIT for 1 replica: every acknowledged event delivered, recovery within 10 s', async () => {
  const o = await sentinelScenario('kill9', true, cleanup);
  expectDelivered(o);
  expectWithin(o.ingestBackMs, 'promotion → a 200 for a request sent after it');
}, 90_000);
