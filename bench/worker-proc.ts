/**
 * One endpoint's delivery worker in a process of its own, so that its CPU time can be measured
 * apart from the producer's and the receiver's (bench/keepup.ts). Prints `READY` once connected,
 * starts taking events when a line arrives on stdin, closes on SIGTERM.
 *   node dist/bench/worker-proc.js '{"redisUrl":…,"prefix":…,"name":…,"url":…,"maxBatch":1}'
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { createRedisClient, waitReady } from '../src/queue/connection.js';
import { EndpointWorker } from '../src/queue/worker.js';

interface Spec {
  redisUrl: string;
  prefix: string;
  name: string;
  url: string;
  maxBatch?: number;
  readAhead?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const connection = createRedisClient({ url: spec.redisUrl }, 'worker');
await waitReady(connection);
const worker = new EndpointWorker({
  connection,
  prefix: spec.prefix,
  endpoint: {
    name: spec.name,
    url: spec.url,
    http: { timeoutMs: 5000 },
    policy: {
      threshold: 10,
      backoffMs: 1000,
      maxBatch: spec.maxBatch ?? 1,
      readAhead: spec.readAhead ?? 32,
      maxRetries: 0,
      maxAgeMs: 0,
      retryAfter: false,
      mediaType: '',
    },
    ordering: 'strict',
    concurrency: 1,
  },
  // The service's defaults (config workers.lockDurationMs / stalledIntervalMs).
  tuning: { lockDurationMs: 4000, stalledIntervalMs: 2000 },
  logger: pino({ level: 'warn' }),
});
process.stdout.write('READY\n');
const lines = createInterface({ input: process.stdin });
lines.once('line', () => void worker.start());
process.once('SIGTERM', () => {
  lines.close();
  void worker
    .close()
    .then(() => connection.quit())
    .then(() => process.exit(0));
});
