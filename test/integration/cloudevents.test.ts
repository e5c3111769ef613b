/**
 * `format: cloudevents` end to end: real `regnotify` processes, a real Redis and a real
 * receiver; what arrives is parsed by the `cloudevents` SDK, one event per request and, with
 * maxbatch > 1, in batch mode.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/events/encode.js';
import type { Event } from '../../src/events/types.js';
import {
  postEvents,
  serviceConfig,
  startService,
  stopService,
  useServiceTest,
} from '../helpers/cli-service.js';
import { makeEvent } from '../helpers/delivery.js';
import type { RecordedRequest } from '../helpers/receiver.js';
import { waitUntil } from '../helpers/wait.js';

const { redis, receiver } = useServiceTest();

/** The CloudEvents in one request, as the SDK reads them (each validated). */
function cloudEventsOf(req: RecordedRequest): CloudEvent<unknown>[] {
  const headers = { 'content-type': req.headers['content-type'] ?? '' };
  const got = HTTP.toEvent({ headers, body: req.body });
  return (Array.isArray(got) ? got : [got]).map((e) => {
    if (!(e instanceof CloudEvent)) throw new Error('the SDK returned no CloudEvent');
    expect(e.validate()).toBe(true);
    return e;
  });
}

const expected = (e: Event) => ({
  specversion: '1.0',
  id: e.id,
  source: 'https://registry.example.com/',
  type: 'io.github.distribution.notification.push',
  subject: `demo/app:${e.target.tag}`,
  datacontenttype: 'application/json',
  data: JSON.parse(encodeEvent(e)) as unknown,
});

describe('format: cloudevents', () => {
  it('one event per request (application/cloudevents+json), in order, data = the event', async () => {
    const rx = await receiver();
    const config = await serviceConfig(
      redis().url,
      `    - name: ce
      url: ${rx.url}
      format: cloudevents
      source: https://registry.example.com/
`,
    );
    const proc = await startService('start', config);
    const events = [1, 2, 3].map((i) => makeEvent(i, 'ce'));
    await postEvents(config, events);
    const requests = await rx.waitFor(3, 20_000);
    for (const [i, req] of requests.entries()) {
      expect(req.headers['content-type']).toBe('application/cloudevents+json');
      const [ce, ...rest] = cloudEventsOf(req);
      expect(rest).toEqual([]);
      expect(ce).toMatchObject(expected(events[i]!));
      // The event's bytes are the stored ones, spliced in.
      expect(req.body).toContain(`"data":${encodeEvent(events[i]!)}`);
    }
    expect(await stopService(proc)).toBe(0);
  });

  it('maxbatch > 1: batch mode (application/cloudevents-batch+json), order kept', async () => {
    const rx = await receiver();
    const config = await serviceConfig(
      redis().url,
      `    - name: ceb
      url: ${rx.url}
      format: cloudevents
      source: https://registry.example.com/
      maxbatch: 4
`,
    );
    const ingest = await startService('ingest', config);
    const events = Array.from({ length: 6 }, (_, i) => makeEvent(i, 'ceb'));
    await postEvents(config, events);
    const work = await startService('work', config); // a backlog: batches of 4 and 2
    await waitUntil(() => rx.requests.flatMap(cloudEventsOf).length >= events.length, {
      timeoutMs: 20_000,
      message: 'all events delivered',
    });
    expect(rx.requests.map((r) => r.headers['content-type'])).toEqual([
      'application/cloudevents-batch+json',
      'application/cloudevents-batch+json',
    ]);
    const got = rx.requests.map(cloudEventsOf);
    expect(got.map((b) => b.length)).toEqual([4, 2]);
    got.flat().forEach((ce, i) => expect(ce).toMatchObject(expected(events[i]!)));
    expect(await stopService(work)).toBe(0);
    expect(await stopService(ingest)).toBe(0);
  });
});
