/**
 * `ratelimit: { max, per }` end to end: one `regnotify ingest` and THREE `regnotify work`
 * processes on a real Redis, a real receiver logging when each request arrives. The limit is
 * shared by the processes (decided in Redis), counts every POST (retries too), keeps a strict
 * endpoint's order, and leaves the breaker's backoff as it was.
 */
import { describe, expect, it } from 'vitest';
import {
  postEvents,
  serviceConfig,
  startService,
  stopService,
  useServiceTest,
} from '../helpers/cli-service.js';
import type { ServiceConfig } from '../helpers/cli-service.js';
import { makeEvent } from '../helpers/delivery.js';
import type { Child } from '../helpers/processes.js';
import { eventIdsOf } from '../helpers/receiver.js';
import type { RecordedRequest } from '../helpers/receiver.js';

const { redis, receiver } = useServiceTest();

/**
 * Redis grants POSTs at least `per` apart per `max`; a request granted first may still reach
 * the receiver later than its grant by the time a loaded 2-core machine takes to schedule the
 * worker's write (measured in the tens of ms; 250 ms leaves a wide margin), so the receiver-side
 * check is on windows of `per` minus that margin.
 */
const JITTER_MS = 250;

/** The most requests that arrived within any interval shorter than `windowMs`. */
function mostInWindow(requests: readonly RecordedRequest[], windowMs: number): number {
  const at = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
  let most = 0;
  let from = 0;
  for (let i = 0; i < at.length; i++) {
    while (at[i]! - at[from]! >= windowMs) from++;
    most = Math.max(most, i - from + 1);
  }
  return most;
}

/** The ingest plus three worker processes on `config`. */
async function startProcesses(config: ServiceConfig): Promise<Child[]> {
  const ingest = await startService('ingest', config);
  const workers = await Promise.all([1, 2, 3].map(() => startService('work', config)));
  return [ingest, ...workers];
}

async function stopAll(procs: Child[]): Promise<void> {
  for (const code of await Promise.all(procs.map(stopService))) expect(code).toBe(0);
}

describe('ratelimit across three worker processes', () => {
  it('a strict endpoint: never more than max per `per` at the receiver, all delivered, in order', async () => {
    const rx = await receiver();
    const config = await serviceConfig(
      redis().url,
      `    - name: limited
      url: ${rx.url}
      ratelimit:
        max: 3
        per: 1s
`,
    );
    const procs = await startProcesses(config);
    const events = Array.from({ length: 15 }, (_, i) => makeEvent(i, 'rl'));
    await postEvents(config, events);
    const got = await rx.waitFor(events.length, 30_000);
    expect(got.flatMap(eventIdsOf)).toEqual(events.map((e) => e.id));
    expect(mostInWindow(got, 1000 - JITTER_MS)).toBeLessThanOrEqual(3);
    // Without the limit these 15 take a fraction of a second: five windows of 3 span ≥ 4 s.
    expect(got.at(-1)!.receivedAt - got[0]!.receivedAt).toBeGreaterThanOrEqual(4000 - JITTER_MS);
    await stopAll(procs);
  });

  it('a parallel endpoint: the waits hold every slot of every process', async () => {
    const rx = await receiver({ respond: () => ({ status: 200, delayMs: 20 }) });
    const config = await serviceConfig(
      redis().url,
      `    - name: limitedpar
      url: ${rx.url}
      ordering: parallel
      concurrency: 8
      ratelimit:
        max: 4
        per: 1s
`,
    );
    const procs = await startProcesses(config);
    const events = Array.from({ length: 20 }, (_, i) => makeEvent(i, 'rp'));
    await postEvents(config, events);
    const got = await rx.waitFor(events.length, 30_000);
    expect(new Set(got.flatMap(eventIdsOf))).toEqual(new Set(events.map((e) => e.id)));
    expect(mostInWindow(got, 1000 - JITTER_MS)).toBeLessThanOrEqual(4);
    await stopAll(procs);
  });

  it('the breaker still backs off, and its retries count against the limit', async () => {
    // Four failures, then success: threshold 2, so the 3rd and 4th attempts and the first
    // success each wait `backoff` after the failure before them.
    const rx = await receiver({ respond: (_r, i) => (i < 4 ? 500 : 200) });
    const config = await serviceConfig(
      redis().url,
      `    - name: limitedbrk
      url: ${rx.url}
      threshold: 2
      backoff: 1s
      ratelimit:
        max: 2
        per: 1s
`,
    );
    const procs = await startProcesses(config);
    const events = Array.from({ length: 6 }, (_, i) => makeEvent(i, 'rb'));
    await postEvents(config, events);
    const got = await rx.waitFor(4 + events.length, 30_000);
    const first = got.map((r) => eventIdsOf(r)[0]);
    expect(first.slice(0, 5)).toEqual(Array(5).fill(events[0]!.id));
    expect(first.slice(4)).toEqual(events.map((e) => e.id));
    for (const i of [2, 3, 4]) {
      // The backoff runs from the failure the worker saw: after the receiver answered.
      const gap = got[i]!.receivedAt - got[i - 1]!.completedAt!;
      expect(gap, `attempt ${i}`).toBeGreaterThanOrEqual(900);
    }
    expect(mostInWindow(got, 1000 - JITTER_MS)).toBeLessThanOrEqual(2);
    await stopAll(procs);
  });
});
