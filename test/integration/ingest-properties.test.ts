/**
 * The ingest's promise as a property (issue 7, "Must hold"), against a real redis-server: for
 * random sequences of envelopes — valid and invalid, with ids that spell BullMQ's and
 * regnotify's own key names, integer-like, odd or huge ids, repeated ids with the same and
 * with different content, re-sends — every answer is either 200 with exactly the wanted events
 * stored for every endpoint, or a 4xx/503 with nothing new stored. Afterwards the queues are
 * intact: BullMQ's keys have their types, real workers deliver everything pending in order,
 * and a fresh event goes through. Each run has its own key prefix. FC_SEED=<n> replays a run.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { encodeEnvelope } from '../../src/events/encode.js';
import { parseEnvelope } from '../../src/events/parse.js';
import type { Event } from '../../src/events/types.js';
import { createIngestHandler } from '../../src/http/ingest.js';
import { startHttpServer } from '../../src/http/server.js';
import { createRedisClient, waitReady } from '../../src/queue/connection.js';
import { DurableSink } from '../../src/queue/producer.js';
import type { ProducerEndpoint } from '../../src/queue/producer.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import { checkParams, layoutType } from '../helpers/arbitraries.js';
import { endpointSpec, fastTuning, makeEvent, uniqueName } from '../helpers/delivery.js';
import { keyTypeProblems, queuedEvents } from '../helpers/queue-contents.js';
import { startReceiver } from '../helpers/receiver.js';
import type { Receiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';
import { Model, describeStep, stepsArbitrary } from '../helpers/ingest-model.js';
import type { Step } from '../helpers/ingest-model.js';

const redis = useRedis();
const silent = pino({ level: process.env.TEST_LOG ?? 'silent' });

const endpoints: ProducerEndpoint[] = [
  { name: 'all' },
  { name: 'picky', ignoredActions: ['pull'], ignoredMediaTypes: ['application/octet-stream'] },
  { name: 'repos', repositories: { include: ['keep/*'] }, tags: { exclude: ['tmp-*'] } },
];

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
});
afterAll(async () => {
  await rx?.close();
});

/** The ingest as app.ts wires it, on a fresh prefix; `close` undoes all of it. */
async function startIngest(prefix: string) {
  const client = createRedisClient({ url: redis().url, commandTimeoutMs: 5000 }, 'producer');
  client.on('error', () => {});
  await waitReady(client);
  const sink = new DurableSink({ client, prefix, endpoints });
  const server = await startHttpServer({
    addr: '127.0.0.1:0',
    handlers: [createIngestHandler({ sink, path: '/events', logger: silent })],
    logger: silent,
  });
  return {
    url: `${server.url}/events`,
    async close() {
      await server.close();
      await sink.close();
      client.disconnect();
    },
  };
}

async function post(url: string, contentType: string, body: string) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Raw texts delivered to `endpoint` in this run, first delivery of each (at-least-once). */
function delivered(prefix: string, endpoint: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rx.requests) {
    if (!r.url.endsWith(`?run=${prefix}&ep=${endpoint}`)) continue;
    const mediaType = String(r.headers['content-type'] ?? '');
    for (const raw of parseEnvelope(r.body, { mediaType }).raw) {
      if (!seen.has(raw)) out.push(raw);
      seen.add(raw);
    }
  }
  return out;
}

async function runSteps(steps: Step[]): Promise<void> {
  const prefix = uniqueName('prop');
  const ingest = await startIngest(prefix);
  const admin = redis().client();
  const model = new Model(endpoints.map((e) => e.name));
  try {
    for (const [i, step] of steps.entries()) {
      const sent = model.bodyOf(step);
      const answer = await post(ingest.url, sent.contentType, sent.body);
      const verdict = model.judge(sent, answer.status);
      const at = `step ${i} (${describeStep(step)}) answered ${answer.status} ${answer.text.slice(0, 300)}`;
      if (verdict.problem !== undefined) throw new Error(`${at}: ${verdict.problem}`);
      for (const name of model.endpoints) {
        const stored = (await queuedEvents(admin, prefix, name)).map((q) => q.raw);
        const diff = multisetDiff(stored, model.stored(name));
        if (diff !== undefined) throw new Error(`${at}: queue ${name}: ${diff}`);
      }
    }
    // Whatever is wrong after the steps is collected, so one report shows all of it.
    const problems: string[] = [];
    for (const name of model.endpoints)
      problems.push(...(await keyTypeProblems(admin, prefix, name)));
    problems.push(...(await deliverAll(prefix, ingest.url, model)));
    if (problems.length > 0)
      throw new Error(`after ${steps.length} step(s):\n  ${problems.join('\n  ')}`);
  } finally {
    await admin.quit();
    await ingest.close();
  }
}

/** Real workers drain every queue in order; then a fresh event is accepted and delivered. */
async function deliverAll(prefix: string, ingestUrl: string, model: Model): Promise<string[]> {
  const problems: string[] = [];
  const connection = createRedisClient({ url: redis().url }, 'worker');
  connection.on('error', () => {});
  const workers = model.endpoints.map(
    (name) =>
      new EndpointWorker({
        connection,
        prefix,
        endpoint: endpointSpec(name, `${rx.url}?run=${prefix}&ep=${name}`),
        tuning: fastTuning,
        logger: silent,
      }),
  );
  // Until every endpoint has `want(name)` events, or 10 s: far past what a healthy run needs
  // (well under a second here), short enough that a broken queue fails the run soon.
  const waitDelivered = async (want: (name: string) => number, what: string) => {
    const short = () => model.endpoints.filter((n) => delivered(prefix, n).length < want(n));
    await waitUntil(() => short().length === 0, { timeoutMs: 10_000 }).catch(() => undefined);
    for (const n of short()) problems.push(`${n}: ${what}: ${delivered(prefix, n).length} of ${want(n)} delivered`); // prettier-ignore
  };
  try {
    await Promise.all(workers.map((w) => w.start()));
    await waitDelivered((name) => model.stored(name).length, 'the pending events');
    const fresh = freshEvent();
    const answer = await post(ingestUrl, layoutType.v1, encodeEnvelope([fresh]));
    if (answer.status !== 200) problems.push(`a fresh event answered ${answer.status} ${answer.text.slice(0, 300)}`); // prettier-ignore
    const expected = (name: string) => [
      ...model.stored(name),
      ...(answer.status === 200 ? [freshRaw(fresh)] : []),
    ];
    await waitDelivered((name) => expected(name).length, 'then the fresh one');
    for (const name of model.endpoints) {
      const got = delivered(prefix, name);
      if (got.length >= expected(name).length && got.join('\n') !== expected(name).join('\n'))
        problems.push(`${name}: delivered out of order or not the stored bytes: ${multisetDiff(got, expected(name)) ?? 'same events, other order'}`); // prettier-ignore
    }
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await connection.quit();
  }
  return problems;
}

/** An ordinary event every endpoint wants, with an id no run has used. */
function freshEvent(): Event {
  const e = makeEvent(1, uniqueName('fresh'));
  return { ...e, target: { ...e.target, repository: 'keep/fresh' } };
}

/** What `got` lacks and has too many of, compared with `want` (a multiset), or undefined. */
function multisetDiff(got: readonly string[], want: readonly string[]): string | undefined {
  const left = [...got];
  const missing: string[] = [];
  for (const w of want) {
    const i = left.indexOf(w);
    if (i < 0) missing.push(w);
    else left.splice(i, 1);
  }
  if (missing.length === 0 && left.length === 0) return undefined;
  const show = (list: string[]) => list.map((raw) => JSON.stringify(idOf(raw))).join(', ');
  return `${got.length} found, ${want.length} expected; missing ${missing.length} [${show(missing)}], unexpected ${left.length} [${show(left)}]`; // prettier-ignore
}

function idOf(raw: string): string {
  const id = parseEnvelope(`{"events":[${raw}]}`).events[0]?.id ?? '';
  return id.length > 40 ? `${id.slice(0, 37)}...` : id;
}

function freshRaw(e: Event): string {
  return parseEnvelope(encodeEnvelope([e])).raw[0] ?? '';
}

describe('ingest into real Redis, as a property', () => {
  it('200 with exactly the wanted events stored, or 4xx/503 with nothing new; queues stay usable', async () => {
    // The time limit abandons a run in flight rather than cancelling it: wait for it, so that
    // its ingest, clients and workers are closed before the file ends.
    const inFlight = new Set<Promise<void>>();
    const tracked = (steps: Step[]): Promise<void> => {
      const run = runSteps(steps);
      inFlight.add(run);
      void run.then(
        () => inFlight.delete(run),
        () => inFlight.delete(run),
      );
      return run;
    };
    try {
      await fc.assert(
        fc.asyncProperty(stepsArbitrary(), tracked),
        checkParams({ numRuns: 60, timeLimitMs: 15_000 }),
      );
    } finally {
      await Promise.allSettled([...inFlight]);
    }
  }, 120_000);
});
