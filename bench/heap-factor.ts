/**
 * Per-request memory of the ingest (issue 7, item 4): how many bytes of JS heap (plus Buffers)
 * one request holds, per byte of its body, at its peak — parsed and handed to the real durable
 * sink (BullMQ on a real Redis), in this process with the ingest handler of `--impl` (a dist
 * directory: this build by default, or an older build to compare). Run by bench/flood.ts as
 *   node --expose-gc dist/bench/heap-factor.js --redis=redis://… [--impl=DIR]
 *     --kind=tiny|sample
 * and prints one JSON line. One kind per process: what one measurement leaves behind (Redis
 * replies, caches) must not count in the next one's baseline.
 *
 * With --parse-peak (run it with node --expose-gc --gc-interval=20000, which makes V8 collect
 * every 20,000 allocations) it measures instead the parse alone: the most heap still live after
 * any collection during `parseEnvelope`, i.e. including what the parser builds and drops.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { request } from 'undici';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import type * as ParseModule from '../src/events/parse.js';
import type * as IngestModule from '../src/http/ingest.js';
import type * as ServerModule from '../src/http/server.js';
import type * as ConnectionModule from '../src/queue/connection.js';
import type { EncodedEvent } from '../src/queue/producer.js';
import type * as ProducerModule from '../src/queue/producer.js';
import type { Event, EventsMediaTypeName } from '../src/events/types.js';
import { floodBodies } from './flood-bodies.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const impl = path.resolve(arg('impl') ?? path.join(here, '..'));
const redisUrl = arg('redis') ?? '';
const kind = arg('kind') === 'sample' ? 'sample' : 'tiny';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const collect: () => void = gc;

/** Live heap plus Buffers, after a full collection. */
function live(): number {
  collect();
  collect();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const load = async <T>(rel: string): Promise<T> => (await import(path.join(impl, rel))) as T;

/** The parse alone: peak live heap during parseEnvelope, per body byte (body Buffer excluded). */
async function parsePeak(): Promise<void> {
  const { parseEnvelope } = await load<typeof ParseModule>('src/events/parse.js');
  const { body, events } = floodBodies(kind, 'peak')(0);
  parseEnvelope(floodBodies(kind, 'warm', 8)(0).body); // compiled code is not counted
  collect();
  collect();
  const base = getHeapStatistics().used_heap_size;
  const profiler = new GCProfiler();
  profiler.start();
  const parsed = parseEnvelope(body);
  const { statistics } = profiler.stop();
  const peak = Math.max(...statistics.map((s) => s.afterGC.heapStatistics.usedHeapSize));
  collect();
  const retained = getHeapStatistics().used_heap_size;
  const factor = (x: number) => Number(((x - base) / body.length).toFixed(1));
  process.stdout.write(
    `${JSON.stringify({ kind, bytes: body.length, events: parsed.events.length === events ? events : NaN, collections: statistics.length, parsePeak: factor(peak), retained: factor(retained) })}\n`,
  );
}

async function main(): Promise<void> {
  const { createIngestHandler } = await load<typeof IngestModule>('src/http/ingest.js');
  const { startHttpServer } = await load<typeof ServerModule>('src/http/server.js');
  const { createRedisClient, waitReady } =
    await load<typeof ConnectionModule>('src/queue/connection.js');
  const { DurableSink } = await load<typeof ProducerModule>('src/queue/producer.js');
  const silent = pino({ level: 'silent' });
  const client = createRedisClient({ url: redisUrl }, 'producer');
  await waitReady(client);
  const real = new DurableSink({
    client,
    prefix: `heap${process.pid}`,
    endpoints: [{ name: 'heap' }],
  });
  let peak = 0;
  let handoff = 0;
  // Both the current ingest (writeEncoded) and an older build's (writeMany) call this sink.
  const measure =
    <T>(store: () => Promise<T>) =>
    async (): Promise<T> => {
      handoff = live(); // what the ingest holds for the request: parsed, before the sink
      peak = Math.max(peak, handoff);
      const pending = store();
      peak = Math.max(peak, live()); // the sink's synchronous part done: commands queued
      await new Promise((resolve) => setImmediate(resolve));
      peak = Math.max(peak, live()); // coalesced batch sent
      return pending;
    };
  const sink = {
    writeEncoded(events: readonly EncodedEvent[], mediaType: EventsMediaTypeName) {
      return measure(() => real.writeEncoded(events, mediaType))();
    },
    writeMany(events: readonly Event[], mediaType?: EventsMediaTypeName) {
      return measure(() => real.writeMany(events, mediaType))();
    },
  };
  const server = await startHttpServer({
    addr: '127.0.0.1:0',
    logger: silent,
    // The case is 10,000 events in one envelope: let it through the events bound, to
    // measure what such a request costs (an older build ignores the option).
    handlers: [
      createIngestHandler({ sink, path: '/events', logger: silent, maxEventsPerRequest: 100_000 }),
    ],
  });
  try {
    const { body, events } = floodBodies(kind, 'heap')(0);
    // Warm up code paths once (small), so compiled code is not counted.
    await post(`${server.url}/events`, floodBodies(kind, 'warm', 8)(0).body);
    peak = 0;
    const before = live();
    const status = await post(`${server.url}/events`, body);
    const factor = (x: number) => Number(((x - before) / body.length).toFixed(1));
    process.stdout.write(
      `${JSON.stringify({ kind, bytes: body.length, events, status, handoff: factor(handoff), peak: factor(peak) })}\n`,
    );
  } finally {
    await server.close();
    await real.close();
    client.disconnect();
  }
}

async function post(url: string, body: Buffer): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json' },
    body,
  });
  await res.body.dump();
  return res.statusCode;
}

await (process.argv.includes('--parse-peak') ? parsePeak() : main());
