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
 * The last eighth of each budget (requests, bytes, events) is kept for small requests (a
 * registry sends one ~1 KB event per envelope): a flood of big envelopes fills at most seven
 * eighths, so the registry's own traffic keeps being taken instead of getting 503s until the
 * flood ends. A big request alone may still use a whole budget, so none that the ingest accepts
 * is refused for ever. Whether a request is small is known from its Content-Length (a chunked
 * body counts as big for the request bound) and, for events, once it is parsed.
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
  admit(declaredBytes: number, chunked?: boolean): Ticket | Refusal;
  readonly requests: number;
  readonly bytes: number;
  readonly events: number;
}

export function isRefusal(x: Ticket | Refusal): x is Refusal {
  return 'code' in x;
}

/** A shared budget with a reserve for small requests. */
class Budget {
  used = 0;
  private readonly reserve: number;

  constructor(
    private readonly max: number,
    private readonly code: Refusal['code'],
    /** What is counted, and which requests are small: for the message. */
    private readonly words: { unit: string; key: string; small: string },
  ) {
    this.reserve = Math.floor(max / 8);
  }

  /** Whether `n` more fit for a request (small or not) beside `others` requests. */
  refusal(n: number, small: boolean, others: number): Refusal | undefined {
    const bound = small || others === 0 ? this.max : this.max - this.reserve;
    if (this.used + n <= bound) return undefined;
    const kept = this.reserve > 0 ? `; its last ${this.reserve} kept for ${this.words.small}` : '';
    return {
      code: this.code,
      message:
        `ingest busy: ${this.used} ${this.words.unit} in progress, ${n} more would pass the ` +
        `limit of ${this.max} (${this.words.key}${kept}); retry later`,
    };
  }
}

export function createInFlight(limits: InFlightLimits): InFlight {
  const smallBodies = `bodies of up to ${SmallBodyBytes} bytes`;
  const slots = new Budget(limits.maxConcurrentRequests, 'ERR_TOO_MANY_REQUESTS', {
    unit: 'requests',
    key: 'ingest.maxConcurrentRequests',
    small: smallBodies,
  });
  const bytes = new Budget(limits.maxInFlightBytes, 'ERR_TOO_MANY_BYTES', {
    unit: 'body bytes',
    key: 'ingest.maxInFlightBytes',
    small: smallBodies,
  });
  const events = new Budget(limits.maxInFlightEvents, 'ERR_TOO_MANY_EVENTS_IN_FLIGHT', {
    unit: 'events',
    key: 'ingest.maxInFlightEvents',
    small: `envelopes of up to ${SmallEvents} events`,
  });

  return {
    get requests() {
      return slots.used;
    },
    get bytes() {
      return bytes.used;
    },
    get events() {
      return events.used;
    },
    admit(declared, chunked = false) {
      // A chunked body's size is unknown: it takes a slot as a big one.
      const smallBody = !chunked && declared <= SmallBodyBytes;
      const refused =
        slots.refusal(1, smallBody, slots.used) ?? bytes.refusal(declared, smallBody, slots.used);
      if (refused) return refused;
      slots.used++;
      bytes.used += declared;
      let heldBytes = declared;
      let heldEvents = 0;
      let released = false;
      return {
        grow(n) {
          if (released) return undefined;
          const refusal = bytes.refusal(n, heldBytes + n <= SmallBodyBytes, slots.used - 1);
          if (refusal) return refusal;
          bytes.used += n;
          heldBytes += n;
          return undefined;
        },
        addEvents(n) {
          if (released) return undefined;
          const refusal = events.refusal(n, heldEvents + n <= SmallEvents, slots.used - 1);
          if (refusal) return refusal;
          events.used += n;
          heldEvents += n;
          return undefined;
        },
        release() {
          if (released) return;
          released = true;
          slots.used--;
          bytes.used -= heldBytes;
          events.used -= heldEvents;
        },
      };
    },
  };
}
