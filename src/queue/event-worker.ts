import { Worker } from 'bullmq';
import type { Job, JobJson } from 'bullmq';
import { LockLostError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RedisClient } from './connection.js';
import type { DeliveryProcessor } from './delivery.js';

/** The head event as BullMQ's moveToActive read it from its job hash: the stored text. */
export interface HeadEvent {
  /** The job's `data` field as stored: the event's compact JSON (see layout.ts). */
  stored: string;
}

export type HeadJob = Job<HeadEvent, unknown, string>;

/**
 * A BullMQ Worker whose jobs carry the head event's stored text instead of its parsed value.
 * BullMQ's moveToActive returns the whole job hash, and Job.fromJSON would `JSON.parse` its
 * `data` — the event, about 1 KB — for nothing: delivery sends the event's bytes, never the
 * parsed value. Here `data` is handed on as it arrived, so each event is read from Redis once
 * (by moveToActive as the head, or by the peek script as a read-ahead event) and parsed by
 * nobody. The job hash layout is BullMQ's, unchanged (scripts.ts addScript).
 */
export class EventWorker extends Worker<HeadEvent, unknown, string> {
  protected override createJob(json: JobJson, jobId: string): HeadJob {
    const job = super.createJob({ ...json, data: '0' }, jobId);
    job.data = { stored: json.data };
    return job;
  }
}

export interface ParallelWorkerOptions {
  /** The queue's name (names.ts queueName). */
  queue: string;
  connection: RedisClient;
  prefix: string;
  /** Deliveries in flight in this process. */
  concurrency: number;
  tuning: { lockDurationMs: number; stalledIntervalMs: number };
  /** BullMQ's `pb` (processed by) of the jobs it takes. */
  name: string;
  processor: DeliveryProcessor;
  logger: Logger;
  onError: (err: Error) => void;
}

/**
 * The BullMQ Worker of a parallel endpoint (strict ones have strict-loop.ts): each job is
 * delivered on its own, up to `concurrency` at once; a lost lock aborts its POST.
 */
export function parallelWorker(options: ParallelWorkerOptions): EventWorker {
  const { tuning, processor, logger } = options;
  const inFlight = new Map<string, AbortController>();
  const worker = new EventWorker(
    options.queue,
    async (job: HeadJob, token?: string, signal?: AbortSignal) => {
      const controller = new AbortController();
      const id = job.id ?? '';
      inFlight.set(id, controller);
      const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
      try {
        await processor(job, token, combined);
      } finally {
        inFlight.delete(id);
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      autorun: false,
      concurrency: options.concurrency,
      lockDuration: tuning.lockDurationMs,
      stalledInterval: tuning.stalledIntervalMs,
      // A crash mid-delivery must never fail the job (= lose the event): stalled jobs go back
      // to the head of the queue however often it happens.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      // Without a limiter, a worker ignores the rate limit another worker set; with an
      // unreachable max the limiter only ever carries the breaker's backoff.
      limiter: { max: Number.MAX_SAFE_INTEGER, duration: 1000 },
      // `true` (boolean) breaks completion in BullMQ 6.7 (test/contract/bullmq-mechanics.test.ts, f.); count 0 removes.
      removeOnComplete: { count: 0 },
      runRetryDelay: 1000,
      name: options.name,
    },
  );
  worker.on('error', options.onError);
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      logger.warn({ jobId: id }, 'lost the lock of the event being delivered: aborting the POST');
      inFlight.get(id)?.abort(new LockLostError(id));
    }
  });
  return worker;
}
