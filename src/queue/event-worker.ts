import { Worker } from 'bullmq';
import type { Job, JobJson } from 'bullmq';

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
