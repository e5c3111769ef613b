/**
 * `redis.waitReplicas` on a Redis Cluster (issue 7, item 5): WAIT only counts the replicas of
 * the node that took the write, on the connection that sent it, so the ingest must send it to
 * the master of the endpoint's slot right behind the store. An acknowledged event is then on
 * that master's replica; with the replica stopped, the ingest answers 503, not 200.
 */
import { expect, it } from 'vitest';
import { makeEvent } from '../fixtures/sample-event.js';
import { startTestApp } from '../helpers/app.js';
import { useCleanups } from '../helpers/cleanup.js';
import { uniqueName } from '../helpers/delivery.js';
import { startRedisCluster } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/wait.js';

const cleanup = useCleanups();

it('acknowledges only what the slot master replicated, and says 503 when it cannot', async () => {
  const cluster = await startRedisCluster();
  cleanup(() => cluster.stop());
  const prefix = uniqueName('cwait');
  const svc = await startTestApp({
    redisUrl: '',
    prefix,
    endpoints: [{ name: 'a', url: 'http://127.0.0.1:9/never' }],
    roles: { workers: false },
    redis: { cluster: { nodes: cluster.seeds.split(',') }, waitReplicas: 1, waitTimeoutMs: 1000 },
  });
  cleanup(() => svc.close());
  const wait = `${prefix}:{ep-a}:wait`;
  // CLUSTER SLOTS lists a replica once it is attached to its master.
  let owner: Awaited<ReturnType<typeof cluster.ownerOf>> | undefined;
  await waitUntil(async () => (owner = await cluster.ownerOf(wait)) !== undefined, {
    message: 'the slot master and its replica are known',
  });
  const { replica } = owner!;

  expect((await svc.post([makeEvent(1, 'cw')])).status).toBe(200);
  const onReplica = replica.client();
  cleanup(() => onReplica.quit());
  await onReplica.call('READONLY');
  expect(await onReplica.llen(wait)).toBe(1); // WAIT returned: the replica has it already

  process.kill(replica.pid, 'SIGSTOP');
  try {
    const refused = await svc.post([makeEvent(2, 'cw')]);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'ERR_NOT_REPLICATED' } });
  } finally {
    process.kill(replica.pid, 'SIGCONT');
  }
  await waitUntil(async () => (await svc.post([makeEvent(2, 'cw')])).status === 200, {
    message: 'acknowledged again once the replica answers',
  });
  expect(await onReplica.llen(wait)).toBe(2);
}, 60_000);
