/**
 * End to end with the real registry (Debian's docker-registry, distribution 2.8.2) driven by a
 * real client (skopeo), notifying regnotify — real `regnotify` processes from dist/ (build
 * first: npm run build) on a real redis-server — which delivers to a recording receiver R. The
 * registry also notifies a receiver D directly, which is the reference for what it sends.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventsMediaType } from '../../src/events/types.js';
import { useCleanups } from '../helpers/cleanup.js';
import { buildOciLayout } from '../helpers/oci-layout.js';
import { reapChildren } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import type { RecordedRequest } from '../helpers/receiver.js';
import {
  copyRepo,
  deleteManifest,
  pullTo,
  pushLayout,
  requireRegistryTools,
} from '../helpers/registry.js';
import { delay, waitUntil } from '../helpers/wait.js';
import {
  authorizationLines,
  cli,
  endpointHeaders,
  eventOf,
  ingestCounters,
  lastFailedAttemptAt,
  registryFor,
  regnotify,
  setUp,
  statsViaCli,
} from './relay-setup.js';

// Hooks run last-registered first: the cleanups (which stop regnotify with SIGTERM) before the
// reaper, which fails a test that leaves a process behind.
afterEach(() => reapChildren());
const cleanup = useCleanups();

beforeAll(() => {
  // Missing programs fail, never skip (the rule of test/contract/ too).
  requireRegistryTools();
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
});

const timeout = { timeout: 90_000 };

describe('regnotify between the real registry and a receiver', () => {
  it(
    'the receiver gets exactly the bytes, headers and order the registry sent',
    timeout,
    async () => {
      const s = await setUp(cleanup);
      await regnotify(s, 'start', cleanup);
      const reg = await registryFor(s, cleanup);
      const layout = await buildOciLayout(path.join(s.tmp, 'layout'), { seed: 'e2e-1' });
      await pushLayout(reg, layout.dir, 'demo/app:v1');
      await pullTo(reg, 'demo/app:v1', path.join(s.tmp, 'pulled'));
      await copyRepo(reg, 'demo/app:v1', 'other/app:v1');
      await deleteManifest(reg, `other/app@${layout.manifestDigest}`);

      // D is the reference. The registry makes an operation's events before it answers the
      // request, and delivers them to each endpoint in the order made: so once D has the last
      // event of a marker push made after everything else (its manifest push), D has them all.
      const marker = await buildOciLayout(path.join(s.tmp, 'marker'), { seed: 'e2e-1-marker' });
      await pushLayout(reg, marker.dir, 'e2e/marker:last');
      const isMarker = (r: RecordedRequest): boolean => {
        const e = eventOf(r);
        return e.action === 'push' && e.repository === 'e2e/marker' && e.tag === 'last';
      };
      await waitUntil(() => s.direct.requests.some(isMarker), {
        timeoutMs: 20_000,
        message: 'the marker push reaching D',
      });
      const expected = s.direct.requests;
      expect(isMarker(expected[expected.length - 1]!), 'the marker is the last event').toBe(true);
      await s.relayed.waitFor(expected.length, 20_000);

      // The ingest accepted every POST (only 2xx answers) and stored one event for each.
      const counters = await ingestCounters(s);
      expect(Object.keys(counters.byCode).every((code) => code.startsWith('2'))).toBe(true);
      expect(Object.values(counters.byCode).reduce((a, b) => a + b, 0)).toBe(expected.length);
      expect(counters.events).toBe(expected.length);

      // Same bodies byte for byte, same order, and nothing else (checked after the metrics read,
      // so a stray extra delivery would have had time to show).
      const got = s.relayed.requests;
      expect(got.map((r) => r.body)).toEqual(expected.map((r) => r.body));
      for (const r of [...got, ...expected]) {
        expect(r.method).toBe('POST');
        expect(r.headers['content-type']).toBe(EventsMediaType);
        expect(authorizationLines(r)).toEqual(endpointHeaders.Authorization);
      }
      expect(new Set(got.map((r) => eventOf(r).action))).toEqual(
        new Set(['push', 'pull', 'mount', 'delete']),
      );
      console.log(`e2e: ${got.length} events relayed byte for byte`);
    },
  );

  it('loses nothing where the registry alone loses everything', timeout, async () => {
    const s = await setUp(cleanup);
    await s.relayed.close();
    await s.direct.close();
    await regnotify(s, 'ingest', cleanup);
    const workers = [await regnotify(s, 'work', cleanup), await regnotify(s, 'work', cleanup)];
    const reg = await registryFor(s, cleanup);
    const layout = await buildOciLayout(path.join(s.tmp, 'layout'), { seed: 'e2e-2' });
    await pushLayout(reg, layout.dir, 'demo/lost:v1');
    const pushed = [
      ['push', layout.layerDigests[0], ''],
      ['push', layout.configDigest, ''],
      ['push', layout.manifestDigest, 'v1'],
    ];
    expect(layout.layerDigests).toHaveLength(1);

    // regnotify has stored the push (3 events) and keeps failing against the closed R.
    await waitUntil(
      async () => {
        const st = await statsViaCli(s, 'hooks');
        return st.pending === 3 && st.errors >= 2;
      },
      { timeoutMs: 20_000, intervalMs: 200, message: 'regnotify holding the push, failing' },
    );

    // kill -9 the worker that retried last; kill -9 and restart the registry (its queue dies
    // with it); then both receivers come back on their ports.
    const victim = [...workers].sort(
      (a, b) => lastFailedAttemptAt(b) - lastFailedAttemptAt(a),
    )[0] as Child;
    expect(lastFailedAttemptAt(victim)).toBeGreaterThan(0);
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await reg.kill9();
    await reg.restart();
    await s.relayed.reopen();
    await s.direct.reopen();
    const back = performance.timeOrigin + performance.now();

    // Every event of the push, at least once, first occurrences in push order.
    await waitUntil(() => new Set(s.relayed.requests.map((r) => eventOf(r).id)).size >= 3, {
      timeoutMs: 30_000,
      message: 'the 3 push events reaching R',
    });
    const firsts = new Map<string, ReturnType<typeof eventOf>>();
    for (const r of s.relayed.requests) {
      const e = eventOf(r);
      if (!firsts.has(e.id)) firsts.set(e.id, e);
    }
    const got = [...firsts.values()];
    expect(got.map((e) => [e.action, e.digest, e.tag])).toEqual(pushed);
    expect(got.every((e) => e.repository === 'demo/lost')).toBe(true);
    const lastFirst = s.relayed.requests.find((r) => eventOf(r).id === got[2]!.id)!;
    const deliveredAfterMs = Math.round(lastFirst.receivedAt - back);
    const duplicates = s.relayed.requests.length - firsts.size;

    // The registry's in-memory queue died with it: D gets none of the push within 5 s.
    const lost = new Set([layout.manifestDigest, layout.configDigest, ...layout.layerDigests]);
    const mentionsLost = () => s.direct.requests.some((r) => lost.has(eventOf(r).digest));
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline && !mentionsLost()) await delay(100);
    expect(mentionsLost()).toBe(false);

    // A control operation once everything is back: the pipeline is live end to end.
    const before = s.relayed.requests.length;
    await pullTo(reg, 'demo/lost:v1', path.join(s.tmp, 'pulled'));
    await waitUntil(
      () => s.relayed.requests.slice(before).some((r) => eventOf(r).action === 'pull'),
      { timeoutMs: 20_000, message: 'the control pull reaching R' },
    );
    await waitUntil(() => s.direct.requests.some((r) => eventOf(r).action === 'pull'), {
      timeoutMs: 20_000,
      message: 'the control pull reaching D (the registry is notifying again)',
    });
    console.log(
      `e2e: the push reached R ${deliveredAfterMs} ms after it came back (${duplicates} duplicate deliveries); D got 0 of its 3 events`,
    );
  });
});
