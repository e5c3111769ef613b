/**
 * Which endpoints an operator command acts on, as users run it (real CLI processes, a real
 * redis-server): those configured, else those some regnotify process serves on this Redis
 * (their epoch keys, `<prefix>:{ep-<name>}:rn:epoch`), on every master of a Cluster; a name
 * that is neither is refused with exit code 2, naming the known ones.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { endpointKeys } from '../../src/queue/names.js';
import { useCleanups } from '../helpers/cleanup.js';
import { cli, reapChildren, spawnNode } from '../helpers/processes.js';
import type { Child } from '../helpers/processes.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { useRedis } from '../helpers/redis-server.js';

const redis = useRedis();
const cleanup = useCleanups();
let dir: string;
let prefixes = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'regnotify-cli-endpoints-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(() => reapChildren());

async function run(args: string[], env: Record<string, string> = {}): Promise<Child> {
  const proc = spawnNode(cli, args, { env });
  await proc.exited;
  return proc;
}

/** The environment of a command with no config file: the test's Redis, a fresh prefix. */
function redisEnv(prefix: string): Record<string, string> {
  return { REGNOTIFY_REDIS_URL: redis().url, REGNOTIFY_REDIS_PREFIX: prefix };
}

/** A config file on the test's Redis naming endpoints `names`. */
async function writeConfig(prefix: string, names: string[]): Promise<string> {
  const file = path.join(dir, `${prefix}.yml`);
  const endpoints = names.map((n) => `    - name: ${n}\n      url: http://127.0.0.1:9/${n}\n`);
  await writeFile(
    file,
    `redis:\n  url: ${redis().url}\n  prefix: ${prefix}\nnotifications:\n  endpoints:\n${endpoints.join('')}`,
  );
  return file;
}

/** Marks `names` as served under `prefix`, as every regnotify process does for its endpoints. */
async function serve(prefix: string, names: string[]): Promise<void> {
  const client = redis().client();
  cleanup(() => client.quit());
  for (const name of names) await client.set(endpointKeys(prefix, name).epoch, 'x');
}

const namesOf = (stats: Child): string[] =>
  (JSON.parse(stats.stdout) as { name: string }[]).map((s) => s.name);

describe('endpoints found in Redis', () => {
  it('stats with none configured shows those a regnotify process serves', async () => {
    const prefix = `found${++prefixes}`;
    const file = await writeConfig(prefix, ['hooks', 'audit']);
    // A real worker process writes the epoch key of each endpoint it serves.
    const work = spawnNode(cli, ['work', '--config', file]);
    await work.waitForLine(/delivery workers started/, 15_000);
    work.kill('SIGTERM');
    expect(await work.exited).toEqual({ code: 0, signal: null });

    const stats = await run(['stats', '--json'], redisEnv(prefix));
    expect(stats.stderr).toBe('');
    expect(await stats.exited).toEqual({ code: 0, signal: null });
    expect(namesOf(stats)).toEqual(['audit', 'hooks']);
    const table = await run(['stats'], redisEnv(prefix));
    expect(table.stdout).toMatch(/^audit +0 +0 +0 +0 +0 +0 +- +- +ok$/m);
    expect(table.stdout).toMatch(/^hooks +0 +0 +0 +0 +0 +0 +- +- +ok$/m);
  });

  it('takes only the keys of its own prefix, glob characters in it included', async () => {
    await serve('p*[x]', ['mine']);
    await serve('p*[x]x', ['longer']);
    await serve('pa[x]', ['other']);
    await serve('px', ['plain']);
    const stats = await run(['stats', '--json'], redisEnv('p*[x]'));
    expect([stats.stderr, namesOf(stats)]).toEqual(['', ['mine']]);
  });

  it('configured endpoints win: then Redis is not searched', async () => {
    const prefix = `both${++prefixes}`;
    await serve(prefix, ['only-in-redis']);
    const stats = await run(['stats', '--json', '--config', await writeConfig(prefix, ['a'])]);
    expect(namesOf(stats)).toEqual(['a']);
  });

  it('on a Redis Cluster, from every master', async () => {
    const cluster = await startRedisCluster();
    cleanup(() => cluster.stop());
    const names = Array.from({ length: 12 }, (_, i) => `ep${i}`);
    const client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
    cleanup(async () => client.disconnect());
    for (const name of names) await client.set(endpointKeys('regnotify', name).epoch, 'x');
    // The names spread over several masters (each master's own keys, counted on it).
    const holding = await Promise.all(
      client.nodes('master').map(async (node) => (await node.dbsize()) > 0),
    );
    expect(holding.filter(Boolean).length).toBeGreaterThan(1);
    const stats = await run(['stats', '--json'], { REGNOTIFY_REDIS_CLUSTER_NODES: cluster.seeds });
    expect(stats.stderr).toBe('');
    expect(namesOf(stats)).toEqual([...names].sort());
  });
});

describe('unknown endpoints are refused', () => {
  it.each(['stats', 'dead', 'replay', 'pause', 'resume'])(
    '%s -e nosuch: exit 2, naming the known ones, and nothing written',
    async (command) => {
      const prefix = `unknown${++prefixes}`;
      const file = await writeConfig(prefix, ['a', 'b']);
      await serve(prefix, ['c']);
      // replay needs --id or --all besides the endpoint: give it, so the endpoint is what is wrong.
      const extra = command === 'replay' ? ['--all'] : [];
      const proc = await run([command, '--config', file, '-e', 'nosuch', ...extra]);
      expect(await proc.exited).toEqual({ code: 2, signal: null });
      expect(proc.stdout).toBe('');
      expect(proc.stderr).toBe(
        'regnotify: unknown endpoint "nosuch": neither configured nor found in Redis (known: a, b, c)\n',
      );
      const client = redis().client();
      cleanup(() => client.quit());
      expect(await client.keys(`${prefix}:{ep-nosuch}*`)).toEqual([]);
    },
  );

  it('says where it looked when no endpoint is known at all', async () => {
    const proc = await run(['pause', '-e', 'nosuch'], redisEnv('empty'));
    expect(await proc.exited).toEqual({ code: 2, signal: null });
    expect(proc.stderr).toBe(
      'regnotify: unknown endpoint "nosuch": neither configured nor found in Redis (none is configured, and none under the prefix "empty")\n',
    );
  });

  it('an endpoint found in Redis only is accepted', async () => {
    const prefix = `accepted${++prefixes}`;
    await serve(prefix, ['c']);
    const proc = await run(['pause', '--config', await writeConfig(prefix, ['a']), '-e', 'c']);
    expect([(await proc.exited).code, proc.stdout, proc.stderr]).toEqual([0, 'c: paused\n', '']);
  });
});
