/**
 * Chaos (issue 7, item 5): a Redis Cluster of 3 masters and 3 replicas; the master serving the
 * endpoint's slot is kill -9'd under a steady ingest load while a delivery is in flight (the
 * receiver holds one answer for 0.8 s, under the endpoint timeout). Every acknowledged event must be delivered, and
 * delivery resume within 10 s of the replica's promotion (the issue measured a 12.7 s stall:
 * the in-flight job stayed in `active` without a lock until BullMQ's stalled check ran). The
 * stall around the in-flight delivery is reported.
 */
import { afterEach, expect, it } from 'vitest';
import { useCleanups } from '../helpers/cleanup.js';
import {
  ENDPOINT,
  firstDeliveryAfter,
  missingMessage,
  msBetween,
  reportChaos,
  serviceEnv,
  settleDeliveries,
  startService,
} from '../helpers/chaos.js';
import { startLoad } from '../helpers/load.js';
import { reapChildren } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { RecordedRequest } from '../helpers/receiver.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { freePort } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

afterEach(() => reapChildren()); // registered first, so it runs after the cleanups
const cleanup = useCleanups();

const RECOVERY_BOUND_MS = 10_000;
/** How long the receiver holds the in-flight delivery: under the endpoint timeout (1 s), so it succeeds. */
const HOLD_MS = 800;

/** The longest time without a request reaching the receiver, from `since` to the last request. */
function longestGap(requests: readonly RecordedRequest[], since: number): number {
  let longest = 0;
  let last = since;
  for (const r of requests) {
    if (r.receivedAt < since) continue;
    longest = Math.max(longest, r.receivedAt - last);
    last = r.receivedAt;
  }
  return Math.round(longest);
}

it("Cluster: kill -9 of the endpoint's master under load: every acknowledged event delivered, delivery resumes within 10 s of the promotion", async () => {
  const cluster = await startRedisCluster();
  cleanup(() => cluster.stop());
  const hold = { armed: false, request: undefined as RecordedRequest | undefined };
  const rx = await startReceiver({
    respond: (req) => {
      if (!hold.armed) return 200;
      hold.armed = false;
      hold.request = req;
      return { status: 200, delayMs: HOLD_MS };
    },
  });
  cleanup(() => rx.close());
  const port = await freePort();
  const env = serviceEnv({
    redis: { clusterNodes: cluster.seeds },
    receiverUrl: rx.url,
    extra: { REGNOTIFY_INGEST_ADDR: `127.0.0.1:${port}` },
  });
  await startService('ingest', env, cleanup);
  await startService('work', env, cleanup);
  const load = startLoad({
    url: `http://127.0.0.1:${port}/events`,
    tag: 'cluster',
    ratePerSec: 100,
  });
  cleanup(() => load.stop());
  await waitUntil(() => load.acked().length >= 150, {
    timeoutMs: 15_000,
    message: '150 events acknowledged before the kill',
  });

  hold.armed = true;
  await waitUntil(() => hold.request !== undefined, {
    timeoutMs: 10_000,
    message: 'a delivery held in flight by the receiver',
  });
  const held = hold.request!;
  // Every key of the endpoint carries the hash tag {ep-<name>}: one slot, one master.
  const p = await cluster.killMasterOf(`{ep-${ENDPOINT}}`);
  const back = await load.waitForAnswer(200, p.promotedAt, 20_000).catch(() => undefined);
  await waitUntil(() => firstDeliveryAfter(rx, p.promotedAt) !== undefined, {
    timeoutMs: 20_000,
  }).catch(() => undefined);
  const ackedAfter = (): number =>
    load.requests.filter((r) => r.status === 200 && r.sentAt >= p.promotedAt).length;
  await waitUntil(() => ackedAfter() >= 150, { timeoutMs: 10_000 }).catch(() => undefined);
  await load.stop();
  const t = await settleDeliveries(load, rx, 20_000);

  const heldIds = new Set(eventIdsOf(held));
  const redelivered = rx.requests.find(
    (r) => r.receivedAt > held.receivedAt && eventIdsOf(r).some((id) => heldIds.has(id)),
  );
  const resumedAt = firstDeliveryAfter(rx, p.promotedAt);
  reportChaos('cluster-master-kill9', {
    slot: p.slot,
    acked: t.acked,
    delivered: t.delivered,
    missing: t.missing.length,
    duplicates: t.duplicates,
    deliveredNotAcked: t.deliveredNotAcked,
    statuses: load.statusCounts(),
    ackedAfterPromotion: ackedAfter(),
    promotionMs: msBetween(p.faultAt, p.promotedAt),
    clusterOkMs: msBetween(p.promotedAt, p.clusterOkAt),
    ingestBackMs: msBetween(p.promotedAt, back?.answeredAt),
    deliveryResumedMs: msBetween(p.promotedAt, resumedAt),
    // The endpoint's stall: from the kill to the first delivery after the promotion (what the
    // worker had read ahead is POSTed meanwhile, from memory), and the longest silence.
    killToResumeMs: msBetween(p.faultAt, resumedAt),
    longestGapMs: longestGap(rx.requests, p.faultAt),
    // The in-flight event was delivered, but its completion never reached Redis: sent again.
    inFlightRedeliveredMs: msBetween(p.faultAt, redelivered?.receivedAt),
  });
  expect(t.missing.length, missingMessage(t)).toBe(0);
  const resumedMs = msBetween(p.promotedAt, resumedAt);
  expect(resumedMs, 'promotion → next delivery (ms)').not.toBeNull();
  expect(resumedMs!, 'promotion → next delivery (ms)').toBeLessThanOrEqual(RECOVERY_BOUND_MS);
}, 90_000);
