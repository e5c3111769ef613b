/**
 * Event ids are data (issue 7, items 1 and 2). An id arrives from outside; whatever it is — a
 * BullMQ key name, an integer, a colon, a brace — it must neither name nor collide with a Redis
 * key that regnotify or BullMQ uses, and two different events must never be folded into one
 * because they share an id.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/types.js';
import { createRedisClient } from '../../src/queue/connection.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import {
  endpointSpec,
  fastTuning,
  makeEvent,
  startProducer,
  uniqueName,
} from '../helpers/delivery.js';
import { useCleanups } from '../helpers/cleanup.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const prefix = 'regnotify';
const cleanup = useCleanups();

/** Every key name BullMQ 6.7 and regnotify use inside a queue's namespace, and some more. */
export const KEY_NAMES = [
  'wait', 'paused', 'meta', 'id', 'completed', 'failed', 'delayed', 'active', 'events',
  'marker', 'prioritized', 'pc', 'stalled', 'stalled-check', 'limiter', 'repeat', 'de',
  'waiting-children', 'metrics', 'rn', 'rn:breaker', 'rn:metrics', 'rn:dead', 'meta:x',
  'x:lock', 'x:logs', '1', '007', '-1', '{x}', 'a b', '',
]; // prettier-ignore

function withId(i: number, id: string): Event {
  return { ...makeEvent(i, 'hostile'), id };
}

async function startWorker(name: string, rx: Receiver): Promise<void> {
  const connection = createRedisClient({ url: redis().url }, 'worker');
  const worker = new EndpointWorker({
    connection,
    prefix,
    endpoint: endpointSpec(name, rx.url),
    tuning: fastTuning,
    logger: pino({ level: 'silent' }),
  });
  cleanup(
    () => connection.quit(),
    () => worker.close(),
  );
  await worker.start();
}

describe('event ids never touch Redis structure', () => {
  it('stores and delivers an event whose id is any BullMQ or regnotify key name', async () => {
    const name = uniqueName('keys');
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    // One write per id, then an ordinary event: each must be stored and the queue keep working.
    for (const [i, id] of KEY_NAMES.entries()) {
      await producer.sink.writeMany([withId(i, id)]);
    }
    const after = makeEvent(999, 'after');
    await producer.sink.writeMany([after]);

    const rx = await startReceiver();
    cleanup(() => rx.close());
    await startWorker(name, rx);
    await rx.waitFor(KEY_NAMES.length + 1, 20_000);
    // (An empty id is left out of the JSON, as Go's omitempty does.)
    const ids = rx.requests.map((r) => (JSON.parse(r.body) as { events: Event[] }).events[0]?.id);
    expect(ids.map((id) => id ?? '')).toEqual([...KEY_NAMES, after.id]);

    // BullMQ's own keys kept their types.
    const admin = redis().client();
    cleanup(() => admin.quit());
    const base = `${prefix}:{ep-${name}}:`;
    expect(await admin.type(`${base}meta`)).toBe('hash');
    expect(['list', 'none']).toContain(await admin.type(`${base}wait`));
    expect(['zset', 'none']).toContain(await admin.type(`${base}marker`));
    expect(['stream', 'none']).toContain(await admin.type(`${base}events`));
  });

  it('keeps two different events that share an id, and stores identical re-sends once', async () => {
    const name = uniqueName('same-id');
    const producer = await startProducer(redis().url, prefix, [{ name }]);
    cleanup(() => producer.close());
    const a = withId(1, 'shared-id');
    const b = { ...withId(2, 'shared-id'), action: 'delete' };
    const first = await producer.sink.writeMany([a, b, a]);
    expect(first.stored).toEqual({ [name]: 2 });
    expect(first.duplicates).toEqual({ [name]: 1 });
    // A re-send of a pending one stores nothing; a third content under the id is stored.
    const c = withId(3, 'shared-id');
    const second = await producer.sink.writeMany([b, c]);
    expect(second.stored).toEqual({ [name]: 1 });
    expect(second.duplicates).toEqual({ [name]: 1 });

    const rx = await startReceiver();
    cleanup(() => rx.close());
    await startWorker(name, rx);
    await rx.waitFor(3, 10_000);
    const actions = rx.requests.map((r) => (JSON.parse(r.body) as { events: Event[] }).events[0]);
    expect(actions.map((e) => [e?.id, e?.action, e?.target.tag])).toEqual([
      ['shared-id', 'push', 'v1'],
      ['shared-id', 'delete', 'v2'],
      ['shared-id', 'push', 'v3'],
    ]);
  });
});
