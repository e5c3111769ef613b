/**
 * Dead letters from the operator's side, through the real `regnotify` command (needs
 * `npm run build`): listed with what they were (action, repository:tag, last error, attempts),
 * replayed or dropped one by one or all at once, and counted once in `events` after a replay.
 * A real redis-server, a real receiver, a real delivery worker.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../src/queue/connection.js';
import { readEndpointStats } from '../../src/queue/stats.js';
import { EndpointWorker } from '../../src/queue/worker.js';
import { useCleanups } from '../helpers/cleanup.js';
import {
  endpointSpec,
  fastTuning,
  makeEvent,
  startProducer,
  uniqueName,
} from '../helpers/delivery.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { eventIdsOf, startReceiver } from '../helpers/receiver.js';
import { useRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/wait.js';

const redis = useRedis();
const cleanup = useCleanups();
const prefix = 'regnotify';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-dead-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function run(args: string[]): Promise<Child & { code: number | null }> {
  const proc = spawnNode(cli, args);
  const { code } = await proc.exited;
  return Object.assign(proc, { code });
}

/**
 * One endpoint whose receiver answers 500 to the events named in `poisoned` (until removed),
 * delivered by a worker that gives up after one retry; a config file the CLI reads.
 */
async function setup() {
  const name = uniqueName('dead');
  const poisoned = new Set<string>();
  const rx = await startReceiver({
    respond: (req) => (eventIdsOf(req).some((id) => poisoned.has(id)) ? 500 : 200),
  });
  cleanup(() => rx.close());
  const producer = await startProducer(redis().url, prefix, [{ name }]);
  cleanup(() => producer.close());
  const connection = createRedisClient({ url: redis().url }, 'worker');
  const worker = new EndpointWorker({
    connection,
    prefix,
    endpoint: endpointSpec(name, rx.url, { policy: { maxRetries: 1 } }),
    tuning: fastTuning,
    logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
  });
  cleanup(async () => {
    await worker.close();
    await connection.quit();
  });
  await worker.start();
  const file = path.join(dir, `${name}.yml`);
  await writeFile(
    file,
    `redis:\n  url: ${redis().url}\n  prefix: ${prefix}\nnotifications:\n  endpoints:\n    - name: ${name}\n      url: ${rx.url}\n`,
  );
  const stats = () => readEndpointStats(producer.client, prefix, name);
  return { name, rx, producer, poisoned, file, stats };
}

describe('regnotify dead / replay / dead drop', () => {
  it('a replayed event is counted once in `events`', async () => {
    const { rx, producer, poisoned, file, stats, name } = await setup();
    const poison = makeEvent(1, 'twice');
    poisoned.add(poison.id);
    await producer.sink.write(poison);
    await waitUntil(async () => (await stats()).dead === 1, { message: 'the event dead-lettered' });
    expect(await stats()).toMatchObject({ events: 1, pending: 0, dead: 1 });

    poisoned.clear();
    const replay = await run(['replay', '--config', file, '-e', name, '--all']);
    expect([replay.code, replay.stderr]).toEqual([0, '']);
    await waitUntil(async () => (await stats()).successes === 1, {
      message: 'the replay delivered',
    });
    expect(rx.requests.filter((r) => eventIdsOf(r).includes(poison.id))).toHaveLength(3);
    expect(await stats()).toMatchObject({ events: 1, pending: 0, dead: 0, successes: 1 });
  });

  it('lists what each dead letter was, replays or drops one by id, or all', async () => {
    const { rx, producer, poisoned, file, stats, name } = await setup();
    const [a, b, c] = [makeEvent(1, 'dla'), makeEvent(2, 'dlb'), makeEvent(3, 'dlc')];
    for (const e of [a, b, c]) poisoned.add(e.id);
    await producer.sink.writeMany([a, b, c]);
    await waitUntil(async () => (await stats()).dead === 3, { message: 'three dead letters' });

    const dead = await run(['dead', '--config', file, '-e', name]);
    expect([dead.code, dead.stderr]).toEqual([0, '']);
    const lines = dead.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\S+Z  ${a.id}  push demo/app:v1  attempts 2  maxretries: .*500`,
      ),
    );
    expect(lines[1]).toContain(`${b.id}  push demo/app:v2  attempts 2`);
    const json = await run(['dead', '--config', file, '-e', name, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject([
      { id: a.id, action: 'push', target: 'demo/app:v1', attempts: 2, reason: 'maxretries' },
      { id: b.id, target: 'demo/app:v2' },
      { id: c.id, target: 'demo/app:v3' },
    ]);

    // Neither --id nor --all, an id it does not have: refused, nothing changed.
    const bare = await run(['replay', '--config', file, '-e', name]);
    expect([bare.code, bare.stderr]).toEqual([
      2,
      'regnotify: replay: name the dead letters with --id ID (repeatable) or --all\n',
    ]);
    const nosuch = await run(['dead', 'drop', '--config', file, '-e', name, '--id', 'nosuch']);
    expect([nosuch.code, nosuch.stderr]).toEqual([
      1,
      `regnotify: endpoint ${name} has no dead letter with id nosuch\n`,
    ]);
    expect((await stats()).dead).toBe(3);

    poisoned.delete(b.id);
    const one = await run(['replay', '--config', file, '-e', name, '--id', b.id]);
    expect([one.code, one.stdout]).toEqual([0, 'replayed 1 event(s)\n']);
    await waitUntil(async () => (await stats()).successes === 1, { message: 'b delivered' });
    expect(eventIdsOf(rx.requests.at(-1)!)).toEqual([b.id]);

    const drop = await run(['dead', 'drop', '--config', file, '-e', name, '--id', a.id]);
    expect([drop.code, drop.stdout]).toEqual([0, 'dropped 1 dead letter(s)\n']);
    const left = await run(['dead', '--config', file, '-e', name, '--json']);
    expect((JSON.parse(left.stdout) as { id: string }[]).map((d) => d.id)).toEqual([c.id]);
    const all = await run(['dead', 'drop', '--config', file, '-e', name, '--all']);
    expect([all.code, all.stdout]).toEqual([0, 'dropped 1 dead letter(s)\n']);
    // Three accepted: one delivered, two given up (dropped, but still counted as accepted).
    expect(await stats()).toMatchObject({ events: 3, dead: 0, pending: 0, successes: 1 });
  }, 90_000); // about ten CLI processes one after another: slow on a loaded 2-core machine
});
