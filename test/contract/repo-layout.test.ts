/**
 * `ordering: repository`'s take (src/queue/repo-scripts.ts) on BullMQ 6.7's layout, as
 * test/contract/strict-layout.test.ts proves the strict one: BullMQ's Queue sees its jobs as
 * waiting / active, its pause and rate-limit keys hold it; and the take's own rules — the oldest
 * job of a free repository, at most K held, a dead worker's job back at the head.
 */
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/events/encode.js';
import type { Event } from '../../src/events/types.js';
import { endpointKeys } from '../../src/queue/names.js';
import { repoAdvanceScript } from '../../src/queue/repo-scripts.js';
import { StrictStore, storedEvents } from '../../src/queue/strict-store.js';
import type { RunEnd } from '../../src/queue/strict-store.js';
import { makeEvent, uniqueName } from '../helpers/delivery.js';
import { prefix, takeSpec, useJobLayout } from '../helpers/job-layout.js';
import { waitUntil } from '../helpers/wait.js';

const { client, queue, store } = useJobLayout();

/**
 * Event i of repository `repo`; `tricky` ones hold text Go's encoder escapes (`<`, `&` become
 * `\u003c`, `\u0026` in the stored bytes), which the take's Lua must decode as well.
 */
function repoEvent(i: number, repo: string, tricky = false): Event {
  const e = makeEvent(i, 'lay');
  return {
    ...e,
    target: { ...e.target, repository: repo },
    ...(tricky && { actor: { name: '<a&b>' } }),
  };
}

const take = (token: string, lockMs?: number) => takeSpec(token, 1, lockMs);

function repoStore(name: string, k: number): StrictStore {
  return new StrictStore(client(), endpointKeys(prefix, name), repoAdvanceScript, {
    k,
    scan: 256,
  });
}

/** The event id of a take's job, or '' when it took none. */
async function takeOne(s: StrictStore, token: string, lockMs?: number) {
  const taken = await s.advance({ take: take(token, lockMs) });
  const [event] = storedEvents(taken.reply);
  const eventId = event ? ((JSON.parse(event.raw) as { id: string }).id ?? '') : '';
  return { taken, job: event?.id ?? '', eventId };
}

const done = (head: string, token: string): RunEnd => ({
  head,
  token,
  done: true,
  reset: true,
  counts: { successes: 1 },
  remove: [],
  dead: [],
});

describe('the repository take', () => {
  it('takes the oldest job of a free repository, at most K, seen by BullMQ as active', async () => {
    const name = uniqueName('repo');
    // a0 a1 b0 c0 (oldest first); c0 holds Go's \u003c-style escapes.
    const ids = await store(name, [
      repoEvent(0, 'a'),
      repoEvent(1, 'a'),
      repoEvent(2, 'b'),
      repoEvent(3, 'c', true),
    ]);
    const s = repoStore(name, 2);
    const q = queue(name);
    const first = await takeOne(s, 't1');
    expect(first.eventId).toBe(ids[0]); // a0
    const second = await takeOne(s, 't2');
    expect(second.eventId).toBe(ids[2]); // b0: a1 waits behind a0
    expect(await q.getJobCounts('waiting', 'active')).toEqual({ waiting: 2, active: 2 });
    expect(await q.getJobState(first.job)).toBe('active');
    expect((await takeOne(s, 't3')).taken.state).toBe('busy'); // K = 2 held
    // a0 done: a1 is now the oldest job of a free repository.
    const next = await s.advance({ finish: done(first.job, 't1'), take: take('t4') });
    expect(next.owned).toBe(true);
    expect(storedEvents(next.reply).map((e) => e.id)).toHaveLength(1);
    expect(await q.getJob(first.job)).toBeUndefined();
    expect((JSON.parse(storedEvents(next.reply)[0]!.raw) as { id: string }).id).toBe(ids[1]);
    // b0 done: c0 (stored quoted) is read as repository c.
    const last = await s.advance({ finish: done(second.job, 't2'), take: take('t5') });
    expect((JSON.parse(storedEvents(last.reply)[0]!.raw) as { id: string }).id).toBe(ids[3]);
    expect(await q.getJobCounts('waiting', 'active')).toEqual({ waiting: 0, active: 2 });
  });

  it('puts a dead worker’s job back at the head once its lock expired; its repository waited', async () => {
    const name = uniqueName('repostall');
    const ids = await store(name, [repoEvent(0, 'a'), repoEvent(1, 'a')]);
    const s = repoStore(name, 4);
    const dead = await takeOne(s, 'd1', 200);
    expect(dead.eventId).toBe(ids[0]);
    expect((await takeOne(s, 'd2')).taken.state).toBe('busy'); // a is leased
    const admin = client();
    const lock = `${endpointKeys(prefix, name).job(dead.job)}:lock`;
    await waitUntil(async () => (await admin.exists(lock)) === 0, { message: 'lock expired' });
    const again = await takeOne(s, 'd3');
    expect(again.job).toBe(dead.job); // a0 again, before a1
    expect(await admin.hget(endpointKeys(prefix, name).job(dead.job), 'stc')).toBe('1');
  });

  it("honours BullMQ's pause and the limiter key the breaker sets", async () => {
    const name = uniqueName('repopause');
    await store(name, [repoEvent(0, 'a')]);
    const q = queue(name);
    const s = repoStore(name, 4);
    await q.pause();
    expect((await takeOne(s, 'p1')).taken.state).toBe('paused');
    await q.resume();
    await q.rateLimit(60_000);
    expect((await takeOne(s, 'p2')).taken.state).toBe('limited');
    await q.removeRateLimitKey();
    expect((await takeOne(s, 'p3')).taken.state).toBe('events');
  });

  it('takes and finishes on a full Redis (noeviction): the first write frees memory', async () => {
    const name = uniqueName('repofull');
    const ids = await store(name, [repoEvent(0, 'a'), repoEvent(1, 'b')]);
    const s = repoStore(name, 4);
    const admin = client();
    const [, policy] = (await admin.config('GET', 'maxmemory-policy')) as [string, string];
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      await expect(admin.set('repofull:probe', 'x')).rejects.toThrow(/OOM/);
      const first = await takeOne(s, 'f1');
      expect(first.eventId).toBe(ids[0]);
      const next = await s.advance({ finish: done(first.job, 'f1'), take: take('f2') });
      expect(next.state).toBe('events');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await admin.config('SET', 'maxmemory-policy', policy);
    }
  });

  it('reads the repository of a job an earlier version stored as a quoted JSON string', async () => {
    const name = uniqueName('repoold');
    // Earlier versions handed BullMQ's add the event text itself when JSON.parse + stringify
    // would not give its bytes back (Go's \u003c escapes): BullMQ stored it quoted.
    const old = repoEvent(0, 'a', true);
    const raw = encodeEvent(old);
    expect(JSON.stringify(JSON.parse(raw))).not.toBe(raw);
    await queue(name).add('v1', raw, { jobId: 'old-0' });
    expect((await client().hget(`${prefix}:{ep-${name}}:old-0`, 'data'))?.startsWith('"')).toBe(
      true,
    );
    await store(name, [repoEvent(1, 'a')]);
    const s = repoStore(name, 2);
    const first = await takeOne(s, 'o1');
    expect(first.eventId).toBe(old.id);
    expect(first.job).toBe('old-0');
    // Repository a is held by old-0: had its repository not been read, a1 would be taken now.
    const second = await takeOne(s, 'o2');
    expect(second.eventId).toBe('');
    expect(await client().hget(`${prefix}:{ep-${name}}:old-0`, 'rn:repo')).toBe('a');
  });
});
