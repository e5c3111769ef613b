/**
 * Two implementations of go-events' Breaker timing (docs/compatibility.md §4.5): the in-memory
 * `Breaker` of the in-process pipeline (src/sinks/retrying.ts) and the breaker the durable
 * queue keeps in Redis, shared by every worker of an endpoint (src/queue/scripts.ts
 * failureScript, through EndpointStore). One table of cases runs against both — the Redis one
 * against a real redis-server, with the clock injected.
 *
 * A step's `wait` is how long before the next attempt may start, read at that moment: the
 * Breaker's `proceed` (≤ 0 = now), and for Redis the end of the backoff the last failure
 * recorded (`until`, which every worker obeys through BullMQ's limiter key) minus the moment.
 */
import { describe, expect, it } from 'vitest';
import { Breaker } from '../../../src/sinks/retrying.js';
import { EndpointStore } from '../../../src/queue/store.js';
import { uniqueName } from '../../helpers/delivery.js';
import { useRedis } from '../../helpers/redis-server.js';
import { testEvent } from '../../helpers/test-sinks.js';

type Step = { fail: number; wait: number } | { succeed: number } | { check: number; wait: number };

interface Case {
  name: string;
  threshold: number;
  backoffMs: number;
  steps: Step[];
}

const cases: Case[] = [
  {
    // The reference's simulation: attempts of 20 ms, threshold 3, backoff 100 ms.
    name: 'threshold attempts back to back, then each one backoff after the previous failure',
    threshold: 3,
    backoffMs: 100,
    steps: [
      { fail: 20, wait: 0 },
      { fail: 40, wait: 0 },
      { fail: 60, wait: 100 },
      { check: 100, wait: 60 },
      { check: 160, wait: 0 },
      { fail: 180, wait: 100 },
      { check: 280, wait: 0 },
      { fail: 300, wait: 100 },
      { succeed: 420 },
      { check: 420, wait: 0 },
      { fail: 440, wait: 0 },
    ],
  },
  {
    name: 'threshold 1: every failure backs off',
    threshold: 1,
    backoffMs: 1000,
    steps: [
      { fail: 0, wait: 1000 },
      { check: 999, wait: 1 },
      { check: 1000, wait: 0 },
      { fail: 1500, wait: 1000 },
      { check: 2000, wait: 500 },
    ],
  },
  {
    name: 'below the threshold no failure waits, however close together',
    threshold: 10,
    backoffMs: 1000,
    steps: [
      ...Array.from({ length: 9 }, (_, i) => ({ fail: i, wait: 0 })),
      { check: 9, wait: 0 },
      { fail: 9, wait: 1000 },
    ],
  },
  {
    name: 'a success resets the count: threshold failures again before any wait',
    threshold: 2,
    backoffMs: 50,
    steps: [
      { fail: 0, wait: 0 },
      { fail: 1, wait: 50 },
      { succeed: 60 },
      { fail: 61, wait: 0 },
      { fail: 62, wait: 50 },
      { check: 100, wait: 12 },
    ],
  },
  {
    name: 'the wait runs from the latest failure, not the first',
    threshold: 2,
    backoffMs: 100,
    steps: [
      { fail: 0, wait: 0 },
      { fail: 10, wait: 100 },
      { check: 50, wait: 60 },
      { fail: 110, wait: 100 },
      { check: 200, wait: 10 },
      { check: 500, wait: 0 },
    ],
  },
];

/** What each implementation answers at each step, in the steps' order. */
type Answers = number[];

function runInMemory(c: Case): Answers {
  let now = 0;
  const breaker = new Breaker(c.threshold, c.backoffMs, { now: () => now });
  const event = testEvent('push', 'r', 'm');
  const waitNow = (): number => Math.max(0, breaker.proceed(event));
  const answers: Answers = [];
  for (const step of c.steps) {
    if ('fail' in step) {
      now = step.fail;
      breaker.failure(event, new Error('refused'));
      answers.push(waitNow());
    } else if ('succeed' in step) {
      now = step.succeed;
      breaker.success(event);
    } else {
      now = step.check;
      answers.push(waitNow());
    }
  }
  return answers;
}

const redis = useRedis();

/**
 * `resetFirst`: a success is folded into the next failure's script call (as a delivery run
 * does when an attempt succeeds and a later one of the same run fails), else recorded at once
 * by the run's finish.
 */
async function runInRedis(c: Case, resetFirst: boolean): Promise<Answers> {
  const client = redis().client();
  try {
    const store = new EndpointStore(client, 'rn', uniqueName('breaker'));
    const until = async (): Promise<number> =>
      Number((await client.hget(store.keys.breaker, 'until')) ?? '0');
    let pendingReset = false;
    const answers: Answers = [];
    for (const step of c.steps) {
      if ('fail' in step) {
        const outcome = await store.failure('no-such-job', {
          now: step.fail,
          threshold: c.threshold,
          backoffMs: c.backoffMs,
          retryAfterMs: 0,
          resetFirst: pendingReset,
        });
        pendingReset = false;
        expect(outcome.waitMs).toBe(Math.max(0, (await until()) - step.fail));
        answers.push(outcome.waitMs);
        if (outcome.waitMs > 0) {
          // What the workers obey: BullMQ's limiter key, for as long as the wait.
          const pttl = await client.pttl(store.keys.limiter);
          expect(pttl).toBeGreaterThan(0);
          expect(pttl).toBeLessThanOrEqual(outcome.waitMs);
        }
      } else if ('succeed' in step) {
        if (resetFirst) pendingReset = true;
        else await store.finish({ reset: true, counts: {}, remove: [], dead: [] });
      } else {
        answers.push(Math.max(0, (await until()) - step.check));
      }
    }
    return answers;
  } finally {
    await client.quit();
  }
}

const expected = (c: Case): Answers => c.steps.flatMap((s) => ('wait' in s ? [s.wait] : []));

describe('one breaker table, two implementations (Go timing, docs/compatibility.md §4.5)', () => {
  describe.each(cases)('$name', (c) => {
    it('the in-memory Breaker', () => {
      expect(runInMemory(c)).toEqual(expected(c));
    });
    it('the Redis breaker (failure script), success recorded by finish', async () => {
      expect(await runInRedis(c, false)).toEqual(expected(c));
    });
    it('the Redis breaker (failure script), success folded into the next failure', async () => {
      expect(await runInRedis(c, true)).toEqual(expected(c));
    });
  });
});
