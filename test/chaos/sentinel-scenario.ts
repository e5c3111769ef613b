/**
 * The Sentinel chaos scenario shared by sentinel-failover.test.ts and sentinel-kill.test.ts:
 * 1 master, 1 replica, 3 sentinels; `regnotify ingest` and `regnotify work` found the master
 * through Sentinel; a steady ingest load through the fault and until the old master is a replica
 * in sync again (events a stale master acknowledged before then are what a resync throws away);
 * then the tally of acknowledged vs delivered events and the recovery times, measured from the
 * promotion.
 */
import { expect } from 'vitest';
import {
  firstDeliveryAfter,
  missingMessage,
  msBetween,
  reportChaos,
  serviceEnv,
  settleDeliveries,
  startService,
} from '../helpers/chaos.js';
import type { AddCleanup, DeliveryTally } from '../helpers/chaos.js';
import { now, startLoad } from '../helpers/load.js';
import { startReceiver } from '../helpers/receiver.js';
import { freePort } from '../helpers/redis-server.js';
import { startSentinelSet } from '../helpers/redis-sentinel.js';
import { waitUntil } from '../helpers/wait.js';

const RECOVERY_BOUND_MS = 10_000;

export interface Outcome {
  t: DeliveryTally;
  /** Promotion → a 200 for a request sent after it. */
  ingestBackMs: number | null;
  /** Old master in sync as a replica (WAIT 1 can be had again) → a 200 for a request sent after. */
  ingestBackAfterInSyncMs: number | null;
  /** Promotion → the next delivery. */
  deliveryResumedMs: number | null;
  /** Promotion → the sentinels' +switch-master (when clients learn of it). */
  announcedMs: number | null;
  /** For each acknowledged event that was lost: promotion → its 200. */
  lostAnsweredMs: number[];
}

export async function sentinelScenario(
  fault: 'failover' | 'kill9',
  waitReplicas: boolean,
  cleanup: AddCleanup,
): Promise<Outcome> {
  const set = await startSentinelSet();
  cleanup(() => set.stop());
  const rx = await startReceiver();
  cleanup(() => rx.close());
  const port = await freePort();
  const env = serviceEnv({
    redis: { sentinels: set.sentinels, name: set.name },
    receiverUrl: rx.url,
    extra: {
      REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}`,
      ...(waitReplicas ? { REGNOTIFY_REDIS_WAITREPLICAS: '1' } : {}),
    },
  });
  await startService('ingest', env, cleanup);
  await startService('work', env, cleanup);
  const scenario = `sentinel-${fault}-${waitReplicas ? 'wait1' : 'nowait'}`;
  const load = startLoad({
    url: `http://127.0.0.1:${port}/events`,
    tag: scenario,
    ratePerSec: 100,
  });
  cleanup(() => load.stop());
  await waitUntil(() => load.acked().length >= 150, {
    timeoutMs: 15_000,
    message: '150 events acknowledged before the fault',
  });

  // A backlog at the promotion, so that "delivery resumes" is measurable even when the ingest
  // refuses new events then (WAIT cannot be had): the receiver refuses from just before the
  // fault until the promotion.
  rx.setRespond(() => 503);
  const ackedBefore = load.acked().length;
  await waitUntil(() => load.acked().length >= ackedBefore + 20, {
    timeoutMs: 10_000,
    message: '20 events pending before the fault',
  });
  // From the promotion until the old master is a replica in sync again, the receiver takes at
  // most ~50 events/s, under the load's 100/s: a backlog builds wherever the events are, as it
  // does when a failover meets a burst. (A stale master's backlog is what its resync discards.)
  const accept = (): void => rx.setRespond(() => ({ status: 200, delayMs: 20 }));
  const p = fault === 'failover' ? await set.failover(accept) : await set.killMaster(accept);
  const revivedAt = fault === 'kill9' ? await set.reviveOldMaster() : undefined;
  // The load goes on until the old master is a replica in sync again.
  const inSyncAt = await set.oldMasterInSync(25_000);
  rx.setRespond(() => 200);
  const settledAt = inSyncAt ?? now();
  await waitUntil(() => load.firstAnswered(200, settledAt) !== undefined, {
    timeoutMs: 10_000,
  }).catch(() => undefined);
  await waitUntil(() => firstDeliveryAfter(rx, p.promotedAt) !== undefined, {
    timeoutMs: 10_000,
  }).catch(() => undefined);
  await load.stop();
  const t = await settleDeliveries(load, rx, 20_000);

  const outcome: Outcome = {
    t,
    ingestBackMs: msBetween(p.promotedAt, load.firstAnswered(200, p.promotedAt)?.answeredAt),
    ingestBackAfterInSyncMs:
      inSyncAt === undefined
        ? null
        : msBetween(inSyncAt, load.firstAnswered(200, inSyncAt)?.answeredAt),
    deliveryResumedMs: msBetween(p.promotedAt, firstDeliveryAfter(rx, p.promotedAt)),
    announcedMs: msBetween(p.promotedAt, p.announcedAt),
    lostAnsweredMs: t.missing.map((id) => {
      const r = load.requests.find((x) => x.id === id && x.status === 200);
      return r?.answeredAt === undefined ? Number.NaN : r.answeredAt - p.promotedAt;
    }),
  };
  reportChaos(scenario, {
    acked: t.acked,
    delivered: t.delivered,
    lost: t.missing.length,
    duplicates: t.duplicates,
    deliveredNotAcked: t.deliveredNotAcked,
    statuses: load.statusCounts(),
    ackedAfterPromotion: load.requests.filter((r) => r.status === 200 && r.sentAt >= p.promotedAt)
      .length,
    promotionMs: msBetween(p.faultAt, p.promotedAt),
    sentinelsAnnouncedMs: msBetween(p.promotedAt, p.announcedAt),
    oldMasterRevivedMs: revivedAt === undefined ? null : msBetween(p.promotedAt, revivedAt),
    oldMasterInSyncMs: msBetween(p.promotedAt, inSyncAt),
    ingestBackMs: outcome.ingestBackMs,
    ingestBackAfterInSyncMs: outcome.ingestBackAfterInSyncMs,
    deliveryResumedMs: outcome.deliveryResumedMs,
  });
  return outcome;
}

export function expectWithin(ms: number | null, what: string): void {
  expect(ms, `${what} (ms)`).not.toBeNull();
  expect(ms!, `${what} (ms)`).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
}

export function expectDelivered(o: Outcome): void {
  expect(o.t.missing.length, missingMessage(o.t)).toBe(0);
  expectWithin(o.deliveryResumedMs, 'promotion → next delivery');
}
