/**
 * The optional shape of an endpoint's requests beyond the registry's: the CloudEvents body
 * (`format: cloudevents`, src/events/cloudevents.ts) and Standard Webhooks signing
 * (`signing.secrets`, src/sinks/signing.ts). Without them delivery-steps.ts sends the
 * registry's envelope with the registry's headers, byte for byte.
 */
import { cloudEventsBody } from '../events/cloudevents.js';
import { messageSigner } from '../sinks/signing.js';
import type { AttemptSigner } from '../sinks/signing.js';
import { eventIdOf } from './delivery-run.js';
import type { StoredEvent } from './store.js';

/** The body and its Content-Type, from the events' texts in their output layout. */
export type BodyEncoder = (texts: readonly string[]) => { body: string; contentType: string };

/** The signer of every attempt of one message (a batch): same webhook-id each time. */
export type BatchSigner = (batch: readonly StoredEvent[]) => AttemptSigner;

export interface FormatSettings {
  format: 'envelope' | 'cloudevents';
  /** CloudEvents `source`; '' = from each event. */
  source: string;
  maxBatch: number;
  signing: { secrets: readonly string[] };
}

/**
 * A message's identity: its events' ids, so the same events give the same webhook-id whichever
 * worker sends them, however often. An event without an id counts by its job id (unique in
 * the endpoint's queue), marked so it cannot collide with an event id.
 */
export function eventIdentities(batch: readonly StoredEvent[]): string[] {
  return batch.map((e) => {
    const id = eventIdOf(e.raw);
    return id === '' ? `\u0000job:${e.id}` : id;
  });
}

/** The hooks for DeliveryPolicy: none at all when the endpoint uses neither feature. */
export function formatHooks(s: FormatSettings): { encode?: BodyEncoder; sign?: BatchSigner } {
  const hooks: { encode?: BodyEncoder; sign?: BatchSigner } = {};
  if (s.format === 'cloudevents') {
    const options = { source: s.source, batch: s.maxBatch > 1 };
    hooks.encode = (texts) => cloudEventsBody(texts, options);
  }
  if (s.signing.secrets.length > 0) {
    const signer = messageSigner(s.signing.secrets);
    hooks.sign = (batch) => signer(eventIdentities(batch));
  }
  return hooks;
}
