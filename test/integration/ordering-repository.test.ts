/**
 * `ordering: repository` end to end: one `regnotify ingest` and THREE `regnotify work` processes
 * on a real Redis, a real receiver, and kill -9 of one worker mid-delivery. Per repository the
 * first deliveries come in acceptance order, one at a time; across repositories at most K are
 * in flight; nothing is lost.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/types.js';
import { rawFromStored } from '../../src/queue/layout.js';
import { postEvents, serviceConfig, startService, stopService } from '../helpers/cli-service.js';
import { firstSeen, makeEvent } from '../helpers/delivery.js';
import { reapChildren } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import type { RecordedRequest, Receiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
let receiver: Receiver | undefined;
afterEach(async () => {
  await reapChildren();
  await receiver?.close();
  receiver = undefined;
});

const K = 4;
const REPOS = 6;

function repoEvent(i: number): Event {
  const e = makeEvent(i, 'or');
  return { ...e, target: { ...e.target, repository: `team/r${i % REPOS}` } };
}

/** Event id → its repository. */
function repoOf(events: readonly Event[]): Map<string, string> {
  return new Map(events.map((e) => [e.id, e.target?.repository ?? '']));
}

/** Pairs of answered requests of one repository whose times overlap at the receiver. */
function overlapsPerRepo(got: readonly RecordedRequest[], repos: Map<string, string>): string[] {
  const bad: string[] = [];
  const answered = got.filter((r) => r.completedAt !== undefined);
  for (let i = 0; i < answered.length; i++) {
    for (let j = i + 1; j < answered.length; j++) {
      const [a, b] = [answered[i]!, answered[j]!];
      const [ra, rb] = [repos.get(eventIdsOf(a)[0]!), repos.get(eventIdsOf(b)[0]!)];
      if (ra === rb && b.receivedAt < a.completedAt! && a.receivedAt < b.completedAt!) {
        bad.push(`${eventIdsOf(a)[0]} / ${eventIdsOf(b)[0]}`);
      }
    }
  }
  return bad;
}

describe('ordering: repository across three worker processes', () => {
  it('keeps per-repository order through a kill -9, at most K in flight, nothing lost', async () => {
    // Slow enough answers that several repositories are in flight at once.
    const rx = (receiver = await startReceiver({
      respond: (_r, i) => ({ status: 200, delayMs: 30 + (i % 5) * 10 }),
    }));
    const config = await serviceConfig(
      redis().url,
      `    - name: perrepo
      url: ${rx.url}
      ordering: repository
      concurrency: ${K}
`,
    );
    const ingest = await startService('ingest', config);
    const workers = await Promise.all([1, 2, 3].map(() => startService('work', config)));
    const events = Array.from({ length: 150 }, (_, i) => repoEvent(i));
    for (let i = 0; i < events.length; i += 25) await postEvents(config, events.slice(i, i + 25));

    // kill -9 a worker while it holds a job (BullMQ's `pb` names its pid) with its POST in
    // flight (the receiver holds each for ≥ 30 ms).
    const admin = redis().client();
    const prefix = /prefix: (\S+)/.exec(readFileSync(config.file, 'utf8'))?.[1] ?? '';
    const base = `${prefix}:{ep-perrepo}:`;
    let victim: Child | undefined;
    let killed = '';
    await waitUntil(
      async () => {
        if (rx.requests.length < 30) return false;
        const answering = new Set(
          rx.requests.filter((r) => r.completedAt === undefined).flatMap(eventIdsOf),
        );
        for (const id of await admin.lrange(`${base}active`, 0, -1)) {
          const [data, pb] = await admin.hmget(`${base}${id}`, 'data', 'pb');
          const eventId = (JSON.parse(rawFromStored(data ?? '{}')) as { id?: string }).id ?? '';
          const pid = Number(pb?.split(':').at(-1));
          victim = workers.find((w) => w.pid === pid);
          if (victim && answering.has(eventId)) {
            victim.kill('SIGKILL');
            killed = eventId;
            return true;
          }
        }
        return false;
      },
      { timeoutMs: 30_000, intervalMs: 5 },
    );

    const want = new Set(events.map((e) => e.id));
    await waitUntil(() => new Set(rx.requests.flatMap(eventIdsOf)).size === want.size, {
      timeoutMs: 60_000,
    });
    const got = rx.requests;
    const repos = repoOf(events);
    expect(new Set(got.flatMap(eventIdsOf))).toEqual(want);
    // The event whose POST the killed worker had in flight was sent again by another.
    expect(got.flatMap(eventIdsOf).filter((id) => id === killed).length).toBeGreaterThanOrEqual(2);
    for (let r = 0; r < REPOS; r++) {
      const repo = `team/r${r}`;
      const delivered = firstSeen(got.flatMap(eventIdsOf)).filter((id) => repos.get(id) === repo);
      const accepted = events.filter((e) => e.target?.repository === repo).map((e) => e.id);
      expect(delivered, repo).toEqual(accepted);
    }
    expect(rx.maxInFlight).toBeLessThanOrEqual(K);
    expect(rx.maxInFlight).toBeGreaterThan(1); // repositories did go out in parallel
    expect(overlapsPerRepo(got, repos)).toEqual([]);
    // Nothing left behind: the queue drained, no job held.
    expect(await admin.llen(`${base}wait`)).toBe(0);
    await waitUntil(async () => (await admin.llen(`${base}active`)) === 0, { timeoutMs: 10_000 });
    await admin.quit();
    for (const p of [ingest, ...workers.filter((w) => w !== victim)]) {
      expect(await stopService(p)).toBe(0);
    }
  });

  it('the breaker holds every repository: a failure past the threshold stops all of them for backoff', async () => {
    const rx = (receiver = await startReceiver({
      respond: (_r, i) => ({ status: i === 8 ? 500 : 200, delayMs: 20 }),
    }));
    const config = await serviceConfig(
      redis().url,
      `    - name: perrepobrk
      url: ${rx.url}
      ordering: repository
      concurrency: ${K}
      threshold: 1
      backoff: 1500ms
`,
    );
    const ingest = await startService('ingest', config);
    const workers = await Promise.all([1, 2, 3].map(() => startService('work', config)));
    const events = Array.from({ length: 40 }, (_, i) => repoEvent(i));
    await postEvents(config, events);
    await waitUntil(() => new Set(rx.requests.flatMap(eventIdsOf)).size === events.length, {
      timeoutMs: 30_000,
    });
    const failed = rx.requests[8]!;
    // POSTs other workers had already taken may still arrive just after the failure (a loaded
    // machine may delay one by a few hundred ms); none starts later until the backoff (1.5 s,
    // shared through Redis) has passed.
    const during = rx.requests.filter(
      (r) => r.receivedAt > failed.completedAt! + 400 && r.receivedAt < failed.completedAt! + 1400,
    );
    expect(during.map(eventIdsOf)).toEqual([]);
    const failedId = eventIdsOf(failed)[0]!;
    expect(rx.requests.flatMap(eventIdsOf).filter((id) => id === failedId)).toHaveLength(2);
    const repos = repoOf(events);
    const delivered = firstSeen(rx.requests.flatMap(eventIdsOf));
    for (let r = 0; r < REPOS; r++) {
      const repo = `team/r${r}`;
      expect(
        delivered.filter((id) => repos.get(id) === repo),
        repo,
      ).toEqual(events.filter((e) => e.target?.repository === repo).map((e) => e.id));
    }
    for (const p of [ingest, ...workers]) expect(await stopService(p)).toBe(0);
  });
});
