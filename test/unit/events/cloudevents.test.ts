/** CloudEvents structured mode (src/events/cloudevents.ts), parsed by the `cloudevents` SDK. */
import { CloudEvent, HTTP } from 'cloudevents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloudEventBatchMediaType,
  CloudEventMediaType,
  cloudEventsBody,
  UnknownSource,
} from '../../../src/events/cloudevents.js';
import { encodeEvent } from '../../../src/events/encode.js';
import type { Event } from '../../../src/events/types.js';
import { makeEvent } from '../../fixtures/sample-event.js';
import { checkParams, event } from '../../helpers/arbitraries.js';

/** What a receiver built on the SDK gets: one event or, for a batch, a list (all validated). */
function received(body: string, contentType: string): CloudEvent<unknown>[] {
  const got = HTTP.toEvent({ headers: { 'content-type': contentType }, body });
  return (Array.isArray(got) ? got : [got]).map((e) => {
    if (!(e instanceof CloudEvent)) throw new Error('the SDK returned no CloudEvent');
    expect(e.validate()).toBe(true);
    return e;
  });
}

const single = (raw: string, source = '') => cloudEventsBody([raw], { source, batch: false });

describe('cloudEventsBody', () => {
  it('one event: the attributes the issue names, `data` = the stored text verbatim', () => {
    const raw = encodeEvent(makeEvent(1));
    const { body, contentType } = single(raw);
    expect(contentType).toBe(CloudEventMediaType);
    expect(body).toContain(`"data":${raw}}`);
    const [ce] = received(body, contentType);
    expect(ce).toMatchObject({
      specversion: '1.0',
      id: makeEvent(1).id,
      source: '//vm:5001',
      type: 'io.github.distribution.notification.push',
      subject: 'demo/app:v1',
      datacontenttype: 'application/json',
      data: JSON.parse(raw) as unknown,
    });
    expect(new Date(ce!.time!).toISOString()).toBe('2026-11-28T04:41:25.494Z');
    // The exact time text, nanoseconds included (the SDK rounds to ms when it re-serialises).
    expect((JSON.parse(body) as { time: string }).time).toBe('2026-11-28T04:41:25.494799448Z');
  });

  it('a batch (maxbatch > 1): an array under the batch content type, even of one event', () => {
    const raws = [1, 2, 3].map((i) => encodeEvent(makeEvent(i)));
    const { body, contentType } = cloudEventsBody(raws, { source: '', batch: true });
    expect(contentType).toBe(CloudEventBatchMediaType);
    expect(received(body, contentType).map((e) => e.id)).toEqual(
      [1, 2, 3].map((i) => makeEvent(i).id),
    );
    const one = cloudEventsBody(raws.slice(0, 1), { source: '', batch: true });
    expect(one.contentType).toBe(CloudEventBatchMediaType);
    expect(received(one.body, one.contentType)).toHaveLength(1);
  });

  it('subject: repository@digest without a tag, none without a repository', () => {
    const e = makeEvent(2);
    delete e.target.tag;
    const [withDigest] = received(single(encodeEvent(e)).body, CloudEventMediaType);
    expect(withDigest?.subject).toBe(`demo/app@${e.target.digest}`);
    delete e.target.repository;
    const [none] = received(single(encodeEvent(e)).body, CloudEventMediaType);
    expect(none?.subject).toBeUndefined();
  });

  it('source: the configured one, else //addr (an IP too), else urn:uuid:instanceID, else unknown', () => {
    const e: Event = makeEvent(3);
    const sourceOf = (ev: Event, configured = '') =>
      received(single(encodeEvent(ev), configured).body, CloudEventMediaType)[0]?.source;
    expect(sourceOf(e, 'https://registry.example.com')).toBe('https://registry.example.com');
    e.source = { addr: '10.0.0.1:5000', instanceID: '6CC549F8-AF1B-453D-BEA6-C584DCFE0F5C' };
    expect(sourceOf(e)).toBe('//10.0.0.1:5000');
    e.source = { addr: '[::1]:5000' };
    expect(sourceOf(e)).toBe('//[::1]:5000');
    e.source = { instanceID: '6CC549F8-AF1B-453D-BEA6-C584DCFE0F5C' };
    expect(sourceOf(e)).toBe('urn:uuid:6cc549f8-af1b-453d-bea6-c584dcfe0f5c');
    e.source = { instanceID: 'not a uuid' };
    expect(sourceOf(e)).toBe(UnknownSource);
  });

  it('an id-less event gets a stable id derived from its bytes', () => {
    const e = makeEvent(4);
    e.id = '';
    const raw = encodeEvent(e);
    const [a] = received(single(raw).body, CloudEventMediaType);
    const [b] = received(single(raw).body, CloudEventMediaType);
    expect(a?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b?.id).toBe(a?.id);
  });

  it('any valid event, either layout: the SDK accepts it and `data` equals the event', () => {
    const layouts = ['v1', 'v2'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...layouts).chain((layout) => event({ layout })),
        (ev) => {
          const raw = encodeEvent(ev);
          const { body } = single(raw);
          expect(body.endsWith(`"data":${raw}}`)).toBe(true);
          const [ce] = received(body, CloudEventMediaType);
          expect(ce?.data).toEqual(JSON.parse(raw));
        },
      ),
      checkParams({ numRuns: 100, timeLimitMs: 5_000 }),
    );
  });
});
