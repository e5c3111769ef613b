import type { Event } from '../events/types.js';

/**
 * The go-events Sink, made asynchronous: `write` resolves once the sink has taken the event
 * (what "taken" means is each sink's contract: queued in memory, stored in Redis, POSTed…);
 * a rejection means the caller may retry. `close` releases what the sink holds and, for
 * decorators, closes what they wrap.
 */
export interface Sink {
  write(event: Event): Promise<void>;
  close(): Promise<void>;
}
