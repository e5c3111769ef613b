/**
 * Events pending in Redis from an earlier version must survive an upgrade. Earlier versions
 * stored events with BullMQ's own `add`: `data` is the event's JSON when it survives JSON.parse +
 * JSON.stringify, else the event text as a quoted JSON string (oldJobData below; read back by
 * queue/layout.ts rawFromStored). The worker reads a head event's bytes from BullMQ's moveToActive
 * (queue/event-worker.ts) and read-ahead events from the peek script: both must give back the
 * bytes that were accepted, in both forms.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEnvelope, encodeEvent } from '../../src/events/encode.js';
import type { Event } from '../../src/events/types.js';
import { silentLogger } from '../../src/log.js';
import { queueName } from '../../src/queue/names.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import { endpointSpec, fastTuning, makeEvent, uniqueName } from '../helpers/delivery.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const prefix = 'regnotify';
let receiver: Receiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** Go escapes <, > and &, and integer-like keys move in a JS object: stored quoted. */
function tricky(i: number): Event {
  const e = makeEvent(i, 'up');
  return { ...e, actor: { name: '<a&b>\u2028é' }, target: { ...e.target, annotations: { '10': 'x', '9': 'y' } } };
} // prettier-ignore

/**
 * The job data earlier versions handed BullMQ's `add`, which stores `JSON.stringify(data)`: the
 * parsed event when that gives back its bytes, else the text itself (stored quoted).
 */
function oldJobData(raw: string): unknown {
  const value: unknown = JSON.parse(raw);
  return JSON.stringify(value) === raw ? value : raw;
}

/** Stores `events` the way earlier versions did: BullMQ's add, job data from oldJobData(). */
async function storeTheOldWay(client: Redis, name: string, events: Event[]): Promise<void> {
  const queue = new Queue(queueName(name), { connection: client, prefix });
  await queue.addBulk(
    events.map((e, i) => ({ name: 'v1', data: oldJobData(encodeEvent(e)), opts: { jobId: `old-${i}` } })),
  ); // prettier-ignore
  await queue.close();
}

describe('events stored by an earlier version (BullMQ add) are delivered byte for byte', () => {
  it.each([
    ['as the head job (readahead 1)', 1],
    ['as read-ahead events (readahead 32)', 32],
  ])('%s', async (_label, readAhead) => {
    const name = uniqueName('upgrade');
    const rx = (receiver = await startReceiver());
    const events = [makeEvent(1, 'up'), tricky(2), makeEvent(3, 'up'), tricky(4)];
    const client = redis().client();
    await storeTheOldWay(client, name, events);
    // Both stored forms are present: the bare JSON and the quoted string.
    const bare = await client.hget(`${prefix}:{ep-${name}}:old-0`, 'data');
    const quoted = await client.hget(`${prefix}:{ep-${name}}:old-1`, 'data');
    expect(bare).toBe(encodeEvent(events[0]!));
    expect(quoted?.startsWith('"')).toBe(true);

    const worker = new EndpointWorker({
      connection: client,
      prefix,
      endpoint: endpointSpec(name, rx.url, { policy: { readAhead } }),
      tuning: fastTuning,
      logger: silentLogger,
    });
    await worker.start();
    try {
      const got = await rx.waitFor(events.length, 15_000);
      expect(got.map((r) => r.body)).toEqual(events.map((e) => encodeEnvelope([e])));
    } finally {
      await worker.close();
      await client.quit();
    }
  });
});
