/**
 * What the ingest's requests in progress may hold together: how many there are, their body
 * bytes (being read, parsed, or waiting for Redis), and their events (parsed, waiting for
 * Redis). A request is admitted or refused by its declared Content-Length before its body is
 * read; a chunked body reserves its bytes as they arrive; the events are reserved once parsed,
 * before anything is stored. Every admitted request gives back what it holds when it ends.
 *
 * Why three bounds (measured with bench/flood.ts): memory grows with body bytes for big events
 * and with the number of events for small ones (the store's work and objects are per event);
 * the request bound caps the per-request overhead of many small requests.
 *
 * The last eighth of the byte and event budgets is kept for small requests (a registry sends
 * one ~1 KB event per envelope): a flood of big envelopes fills at most seven eighths, so the
 * registry's own traffic keeps being taken instead of getting 503s until the flood ends. A big
 * request alone may still use a whole budget, so none that the ingest accepts is refused for
 * ever.
 */

/** Bodies up to this size, and envelopes of up to SmallEvents events, may use the reserve. */
export const SmallBodyBytes = 64 * 1024;
export const SmallEvents = 16;

export interface InFlightLimits {
  /** Body bytes of all requests in progress together. */
  maxInFlightBytes: number;
  /** Events of all requests in progress together. */
  maxInFlightEvents: number;
  /** Requests in progress on the ingest path. */
  maxConcurrentRequests: number;
}

/** Which bound refused a request, and the words that say so. */
export interface Refusal {
  code: 'ERR_TOO_MANY_REQUESTS' | 'ERR_TOO_MANY_BYTES' | 'ERR_TOO_MANY_EVENTS_IN_FLIGHT';
  message: string;
}

/** One admitted request's share. `release` is idempotent. */
export interface Ticket {
  /** Reserve `n` more bytes (a chunked body as it arrives); a Refusal when they do not fit. */
  grow(n: number): Refusal | undefined;
  /** Reserve the request's `n` events, once parsed; a Refusal when they do not fit. */
  addEvents(n: number): Refusal | undefined;
  release(): void;
}

export interface InFlight {
  /** Admit a request declaring `declaredBytes` (0 when chunked), or say which bound refuses it. */
  admit(declaredBytes: number): Ticket | Refusal;
  readonly requests: number;
  readonly bytes: number;
  readonly events: number;
}

export function isRefusal(x: Ticket | Refusal): x is Refusal {
  return 'code' in x;
}

/** A shared budget with a reserve for small holders. */
class Budget {
  used = 0;
  private readonly reserve: number;

  constructor(
    private readonly max: number,
    private readonly small: number,
    private readonly code: Refusal['code'],
    private readonly what: string,
    private readonly key: string,
  ) {
    this.reserve = Math.floor(max / 8);
  }

  /** Whether a holder of `total` (after adding `n`) fits beside `others` requests. */
  refusal(n: number, total: number, others: number): Refusal | undefined {
    const bound = total > this.small && others > 0 ? this.max - this.reserve : this.max;
    if (this.used + n <= bound) return undefined;
    return {
      code: this.code,
      message:
        `ingest busy: ${this.used} ${this.what} in progress, ${n} more would pass the limit of ` +
        `${this.max} (${this.key}; its last ${this.reserve} are kept for requests of up to ` +
        `${this.small}); retry later`,
    };
  }
}

export function createInFlight(limits: InFlightLimits): InFlight {
  let requests = 0;
  const bytes = new Budget(
    limits.maxInFlightBytes,
    SmallBodyBytes,
    'ERR_TOO_MANY_BYTES',
    'body bytes',
    'ingest.maxInFlightBytes',
  );
  const events = new Budget(
    limits.maxInFlightEvents,
    SmallEvents,
    'ERR_TOO_MANY_EVENTS_IN_FLIGHT',
    'events',
    'ingest.maxInFlightEvents',
  );

  return {
    get requests() {
      return requests;
    },
    get bytes() {
      return bytes.used;
    },
    get events() {
      return events.used;
    },
    admit(declared) {
      if (requests >= limits.maxConcurrentRequests) {
        return {
          code: 'ERR_TOO_MANY_REQUESTS',
          message:
            `ingest busy: ${requests} requests in progress, the limit of ` +
            `${limits.maxConcurrentRequests} (ingest.maxConcurrentRequests); retry later`,
        };
      }
      const refused = bytes.refusal(declared, declared, requests);
      if (refused) return refused;
      requests++;
      bytes.used += declared;
      let heldBytes = declared;
      let heldEvents = 0;
      let released = false;
      return {
        grow(n) {
          if (released) return undefined;
          const refusal = bytes.refusal(n, heldBytes + n, requests - 1);
          if (refusal) return refusal;
          bytes.used += n;
          heldBytes += n;
          return undefined;
        },
        addEvents(n) {
          if (released) return undefined;
          const refusal = events.refusal(n, heldEvents + n, requests - 1);
          if (refusal) return refusal;
          events.used += n;
          heldEvents += n;
          return undefined;
        },
        release() {
          if (released) return;
          released = true;
          requests--;
          bytes.used -= heldBytes;
          events.used -= heldEvents;
        },
      };
    },
  };
}
