import type { Event } from '../events/types.js';
import { eventFilter } from './filter.js';
import type { Sink } from './sink.js';

/**
 * Drops events whose target media type or action is listed (OR, exact and case-sensitive
 * matches), as the notifications package's ignoredSink does since v3.1 (docs/compatibility.md §4.7).
 * Ignored events never reach the wrapped sink, so they change no metrics.
 */
export class IgnoredSink implements Sink {
  private readonly wanted: (event: Event) => boolean;

  constructor(
    private readonly sink: Sink,
    mediaTypes: readonly string[],
    actions: readonly string[],
  ) {
    // The same rule the durable path applies per endpoint (./filter.ts).
    this.wanted = eventFilter({ ignoredMediaTypes: mediaTypes, ignoredActions: actions });
  }

  write(event: Event): Promise<void> {
    return this.wanted(event) ? this.sink.write(event) : Promise.resolve();
  }

  /** Closes the wrapped sink (Go v3's ignoredSink does not; a flaw we avoid). */
  close(): Promise<void> {
    return this.sink.close();
  }

  toString(): string {
    return `ignoredSink{${String(this.sink)}}`;
  }
}

/**
 * `sink` itself when nothing is ignored, else an IgnoredSink. Either list alone is enough
 * (v3.1 semantics; before, `actions` without `mediaTypes` was silently ineffective).
 */
export function newIgnoredSink(
  sink: Sink,
  mediaTypes: readonly string[],
  actions: readonly string[],
): Sink {
  if (mediaTypes.length === 0 && actions.length === 0) return sink;
  return new IgnoredSink(sink, mediaTypes, actions);
}
